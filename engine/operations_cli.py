"""The operator's commands: the database schema, the directory, deploying, the worker, repair, the audit
trail and its checkpoints, API tokens. (People's commands on requests are in engine.cli, which composes the
command line.)"""
from __future__ import annotations

import time
from pathlib import Path
from typing import Any

from .cli import engine_from_env, extensions
from .errors import EngineError


def cmd_db_upgrade(args) -> Any:
    from .storage.db import make_engine, upgrade
    sa_engine = make_engine()
    upgrade(sa_engine, extensions())
    from .engine import Engine
    indexed = Engine(sa_engine, extensions=extensions()).reindex_search()
    return {"ok": True, "indexed": indexed,
            "message": "database is at the newest revision" + (f"; {indexed} requests indexed for search" if indexed else "")}


def cmd_users_import(args) -> Any:
    from .directory import load_directory_file
    groups, users = engine_from_env().import_users(load_directory_file(Path(args.file)))
    return {"groups": groups, "users": users, "message": f"imported {groups} groups and {users} users"}


def cmd_deploy(args) -> Any:
    paths: list[Path] = []
    for item in args.paths or ["workflows"]:
        path = Path(item)
        if path.is_dir():
            paths += sorted(p for p in path.iterdir() if p.suffix in (".bpmn", ".dmn"))
        elif path.is_file():
            paths.append(path)
        else:
            raise EngineError(f"{path}: no such file or folder")
    deployed = engine_from_env().deploy_paths(paths, args.as_user)
    return {"deployed": deployed, "message": "\n".join(
        f"deployed {d.process_id} version {d.version} ({d.filename})" for d in deployed) or "nothing changed"}


def cmd_repair(args) -> Any:
    repaired = engine_from_env().repair(args.instance)
    return {"repaired": repaired, "message": f"repaired {len(repaired)} instance(s)"
            + (": " + ", ".join(str(i) for i in repaired) if repaired else "")}


def _smtp_settings():
    """SMTP_HOST (and SMTP_PORT, MAIL_FROM, BASE_URL) switch mail delivery on."""
    import os

    from .mail import SmtpSettings
    host = os.environ.get("SMTP_HOST")
    if not host:
        return None
    return SmtpSettings(host, int(os.environ.get("SMTP_PORT", "25")),
                        os.environ.get("MAIL_FROM", "approvals@localhost"), os.environ.get("BASE_URL", ""))


def work_once(eng) -> tuple[int, int]:
    """Fire due timers, then send queued mail when SMTP is configured and post to the groups' chat robots,
    then write an audit checkpoint when one is due (APPROVALS_CHECKPOINT_EVERY)."""
    import os
    fired = eng.fire_due_timers()
    settings = _smtp_settings()
    sent = eng.deliver_mail(settings) if settings else 0
    sent += eng.deliver_webhooks(os.environ.get("BASE_URL", ""))
    eng.checkpoint_if_due()
    return fired, sent


def cmd_worker(args) -> Any:
    eng = engine_from_env()
    fired_total = sent_total = 0
    while True:
        fired, sent = work_once(eng)
        fired_total, sent_total = fired_total + fired, sent_total + sent
        if args.once:
            return {"fired": fired_total, "sent": sent_total,
                    "message": f"fired timers of {fired_total} instance(s), sent {sent_total} message(s) "
                               "(mail and chat robots)"}
        time.sleep(args.interval)


def cmd_audit_verify(args) -> Any:
    if not args.against and (args.line is not None or args.root is not None):
        raise EngineError("--line and --root go with --against FILE")
    eng = engine_from_env()
    chains, broken = eng.verify_audit(args.instance)
    if broken:
        raise EngineError(str(broken[0]))
    keyed = eng.audit_key is not None
    if args.against:
        return _verify_against(eng, args, chains, keyed)
    note = "" if keyed else (" (no audit key configured: edits of single rows are found, a history rewritten "
                             "with every hash recomputed is not, except before a checkpoint: --against FILE)")
    return {"chains": chains, "broken": [], "keyed": keyed, "message": f"{chains} chain(s) verified{note}"}


def _verify_against(eng, args, chains: int, keyed: bool) -> dict[str, Any]:
    """The trail against an external checkpoint: what was there at the checkpoint is still there, unchanged."""
    from .checkpoints import CheckpointMismatch
    report = eng.verify_checkpoint(Path(args.against), args.line, args.root, args.instance)
    if not report.ok:
        raise CheckpointMismatch(report.problems)
    view = report.checkpoint
    return {"chains": chains, "broken": [], "keyed": keyed, "checkpoint": view,
            "chains_at_checkpoint": report.chains_checked, "new_chains": report.new_chains,
            "message": f"{chains} chain(s) verified; checkpoint {view.number} ({view.path} line {view.line}, "
                       f"{view.at.isoformat(timespec='seconds')}, root {view.root[:16]}…): "
                       f"{report.chains_checked} chain(s) as they were then, {report.new_chains} new since"}


def cmd_audit_checkpoint(args) -> Any:
    from .checkpoints import summary_text
    eng = engine_from_env()
    path = Path(args.file) if args.file else eng.checkpoint_path()
    if args.print:
        view = eng.latest_checkpoint(path, args.line)
        if view is None:
            raise EngineError(f"no checkpoint in {path} yet: run approvals audit checkpoint")
    else:
        if args.line is not None:
            raise EngineError("--line goes with --print")
        view = eng.write_checkpoint(path)
    return {"checkpoint": view, "message": summary_text(view)}


def _token_line(t) -> str:
    expires = t.expires_at.isoformat(timespec="minutes") if t.expires_at else "never expires"
    used = t.last_used_at.isoformat(timespec="minutes") if t.last_used_at else "never used"
    return f"{t.id}\t{t.name}\t{t.status}\tcreated {t.created_at.isoformat(timespec='minutes')}\t{expires}\t{used}"


def cmd_token_create(args) -> Any:
    from .directory import SYSTEM_USER
    made = engine_from_env().create_token(args.user, args.name, args.days, by=SYSTEM_USER)
    expiry = f"expires {made.token.expires_at.isoformat(timespec='minutes')}" if made.token.expires_at \
        else "no expiry"
    return {"token": made.token, "secret": made.secret,
            "message": f"{made.secret}\ntoken {made.token.id} for {args.user} ({expiry}); the secret is shown "
                       f"only now: send it as 'Authorization: Bearer <secret>'"}


def cmd_token_list(args) -> Any:
    tokens = engine_from_env().list_tokens(args.user)
    return {"tokens": tokens, "message": "\n".join(_token_line(t) for t in tokens) or f"{args.user} has no tokens"}


def cmd_token_revoke(args) -> Any:
    from .directory import SYSTEM_USER
    token = engine_from_env().revoke_token(args.id, SYSTEM_USER)
    return {"token": token, "message": f"token {token.id} ({token.name}) of {token.username} is revoked"}


def add_commands(sub) -> None:
    """Register the operator's commands on the command line's sub-command set."""
    db = sub.add_parser("db", help="database schema").add_subparsers(dest="db_command", required=True)
    db.add_parser("upgrade", help="migrate to the newest revision").set_defaults(fn=cmd_db_upgrade)

    users = sub.add_parser("users", help="directory").add_subparsers(dest="users_command", required=True)
    imp = users.add_parser("import", help="create or update groups and users from YAML")
    imp.add_argument("file")
    imp.set_defaults(fn=cmd_users_import)

    dep = sub.add_parser("deploy", help="check and deploy BPMN/DMN files (all or nothing)")
    dep.add_argument("paths", nargs="*")
    dep.add_argument("--as", dest="as_user", default="system")
    dep.set_defaults(fn=cmd_deploy)

    rep = sub.add_parser("repair", help="resume instances a restart left waiting on nothing")
    rep.add_argument("--instance", type=int)
    rep.set_defaults(fn=cmd_repair)

    wk = sub.add_parser("worker", help="fire due timers and timer start events, send mail and chat robot posts")
    wk.add_argument("--once", action="store_true")
    wk.add_argument("--interval", type=float, default=2.0, help="seconds between rounds (continuations wait this long)")
    wk.set_defaults(fn=cmd_worker)

    au = sub.add_parser("audit", help="audit trail").add_subparsers(dest="audit_command", required=True)
    ver = au.add_parser("verify", help="recompute every hash chain")
    ver.add_argument("--instance", type=int)
    ver.add_argument("--against", metavar="FILE", help="also check every chain against a checkpoint in FILE")
    ver.add_argument("--line", type=int, help="the checkpoint's line in FILE (default: the last)")
    ver.add_argument("--root", help="the root printed on paper: the checkpoint must have it")
    ver.set_defaults(fn=cmd_audit_verify)
    cp = au.add_parser("checkpoint", help="append a checkpoint (every chain's head, a Merkle root) to the file")
    cp.add_argument("--file", help="the checkpoint file (default: APPROVALS_CHECKPOINT_FILE, or beside the database)")
    cp.add_argument("--print", action="store_true", help="print a checkpoint's summary instead of writing one")
    cp.add_argument("--line", type=int, help="with --print: the checkpoint's line (default: the last)")
    cp.set_defaults(fn=cmd_audit_checkpoint)

    tok = sub.add_parser("token", help="personal access tokens for the JSON API").add_subparsers(
        dest="token_command", required=True)
    tc = tok.add_parser("create", help="make a token for a user and print its secret (shown only this once)")
    tc.add_argument("user")
    tc.add_argument("--name", required=True, help="what the token is for, e.g. the script that uses it")
    tc.add_argument("--days", type=int, help="expire after this many days (1 to 365); default: until revoked")
    tc.set_defaults(fn=cmd_token_create)
    tl = tok.add_parser("list", help="a user's tokens (never their secrets)")
    tl.add_argument("user")
    tl.set_defaults(fn=cmd_token_list)
    tr = tok.add_parser("revoke", help="revoke a token at once")
    tr.add_argument("id", type=int)
    tr.set_defaults(fn=cmd_token_revoke)
