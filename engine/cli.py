"""`approvals`: the command line. Every command takes --json; failures exit non-zero with one line."""
from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path
from typing import Any, Callable

from .errors import EngineError


# The extensions (packages of procedures) this command runs with: set once by the program that composes
# the command line (web.cli adds the company's procedures); the engine's own command has none.
EXTENSIONS: tuple | Callable[[], tuple] = ()


def extensions() -> tuple:
    """The extensions, imported when a command first needs them (`--help` needs none)."""
    return EXTENSIONS() if callable(EXTENSIONS) else EXTENSIONS


def engine_from_env():
    """The Engine for DATABASE_URL (or the default SQLite file), with the command's extensions."""
    from .engine import Engine
    return Engine.from_url(extensions=extensions())


def _data(text: str | None) -> dict[str, Any]:
    if not text:
        return {}
    try:
        value = json.loads(text)
    except ValueError as exc:
        raise EngineError(f"--data is not valid JSON: {exc}") from exc
    if not isinstance(value, dict):
        raise EngineError("--data must be a JSON object")
    return value


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


def cmd_start(args) -> Any:
    inst = engine_from_env().start(args.process, args.as_user, _data(args.data))
    return {"instance": inst, "message": f"started instance {inst.id} ({inst.status})"}


def cmd_tasks(args) -> Any:
    if args.limit < 1:
        raise EngineError("--limit must be at least 1")
    page = engine_from_env().tasks(args.as_user, limit=args.limit + 1, after=args.after)
    tasks, more = page[:args.limit], len(page) > args.limit
    lines = [f"{t.id}\t{t.process_id}\t{t.title}\t{t.assignee or 'group:' + ','.join(t.candidate_groups)}"
             f"\t{t.due_at.isoformat() if t.due_at else ''}" for t in tasks]
    if more:
        lines.append(f"(more: --after {tasks[-1].id})")
    return {"tasks": tasks, "next_after": tasks[-1].id if more else None,
            "message": "\n".join(lines) or "no tasks"}


def cmd_complete(args) -> Any:
    inst = engine_from_env().complete(args.task, args.as_user, _data(args.data))
    return {"instance": inst, "message": f"completed task {args.task}; instance {inst.id} is {inst.status}"}


def cmd_comment(args) -> Any:
    posted = engine_from_env().comment(args.instance, args.as_user, args.text)
    told = f"; told {', '.join(posted.mentions)}" if posted.mentions else ""
    return {"comment": posted, "message": f"commented on instance {args.instance}{told}"}


def cmd_withdraw(args) -> Any:
    inst = engine_from_env().withdraw(args.instance, args.as_user, args.reason or "")
    return {"instance": inst, "message": f"withdrew instance {inst.id}"}


def cmd_remind(args) -> Any:
    reminded = engine_from_env().remind(args.instance, args.as_user)
    return {"reminded": reminded, "message": f"reminded {', '.join(reminded)}"}


def cmd_return(args) -> Any:
    inst = engine_from_env().return_to(args.task, args.as_user, args.to, args.reason)
    return {"instance": inst, "message": f"task {args.task} sent back to {args.to}"}


def cmd_copy(args) -> Any:
    added = engine_from_env().copy_to(args.instance, args.as_user, args.to, args.note or "")
    return {"copied": added, "message": f"copied to {', '.join(added)}" if added else "everyone named had a copy already"}


def _json_arg(text: str | None, flag: str) -> Any:
    if not text:
        return None
    try:
        return json.loads(text)
    except ValueError as exc:
        raise EngineError(f"{flag} is not valid JSON: {exc}") from exc


def _delivery_message(view) -> str:
    parts = [f"{view.kind} {view.name!r}: delivered to {len(view.delivered)} instance(s)"]
    if view.delivered:
        parts.append(" (" + ", ".join(str(i) for i in view.delivered) + ")")
    if view.started:
        parts.append(f", started {', '.join(str(i) for i in view.started)}")
    return "".join(parts)


def cmd_message(args) -> Any:
    correlations = _json_arg(args.correlation, "--correlation")
    if correlations is not None and not isinstance(correlations, dict):
        raise EngineError("--correlation must be a JSON object {key: {property: value}}")
    view = engine_from_env().send_message(args.name, args.as_user, _json_arg(args.data, "--data"), correlations,
                                          args.instance, args.all)
    return {"delivery": view, "message": _delivery_message(view)}


def cmd_signal(args) -> Any:
    view = engine_from_env().broadcast_signal(args.name, args.as_user, _json_arg(args.data, "--data"))
    return {"delivery": view, "message": _delivery_message(view)}


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
    """Fire due timers, then send queued mail when SMTP is configured, then write an audit checkpoint when
    one is due (APPROVALS_CHECKPOINT_EVERY)."""
    fired = eng.fire_due_timers()
    settings = _smtp_settings()
    sent = eng.deliver_mail(settings) if settings else 0
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
                    "message": f"fired timers of {fired_total} instance(s), sent {sent_total} mail(s)"}
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


def build_parser() -> tuple[argparse.ArgumentParser, Any]:
    """The parser and its sub-command set (the web package adds `serve` to it)."""
    parser = argparse.ArgumentParser(prog="approvals", description="Company procedures as BPMN, with audit.")
    parser.add_argument("--json", action="store_true", help="machine-readable output")
    sub = parser.add_subparsers(dest="command", required=True)

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

    st = sub.add_parser("start", help="start a process")
    st.add_argument("process")
    st.add_argument("--as", dest="as_user", required=True)
    st.add_argument("--data")
    st.set_defaults(fn=cmd_start)

    ts = sub.add_parser("tasks", help="tasks a user can act on")
    ts.add_argument("--as", dest="as_user", required=True)
    ts.add_argument("--limit", type=int, default=100, help="tasks per page (default 100)")
    ts.add_argument("--after", type=int, help="the last task id of the previous page")
    ts.set_defaults(fn=cmd_tasks)

    co = sub.add_parser("complete", help="complete a task")
    co.add_argument("task", type=int)
    co.add_argument("--as", dest="as_user", required=True)
    co.add_argument("--data")
    co.set_defaults(fn=cmd_complete)

    cm = sub.add_parser("comment", help="comment on a request (@name tells a colleague)")
    cm.add_argument("instance", type=int)
    cm.add_argument("text")
    cm.add_argument("--as", dest="as_user", required=True)
    cm.set_defaults(fn=cmd_comment)
    wd = sub.add_parser("withdraw", help="withdraw one's own request before anyone acted on it")
    wd.add_argument("instance", type=int)
    wd.add_argument("--as", dest="as_user", required=True)
    wd.add_argument("--reason")
    wd.set_defaults(fn=cmd_withdraw)
    rm = sub.add_parser("remind", help="remind whoever holds one's request now")
    rm.add_argument("instance", type=int)
    rm.add_argument("--as", dest="as_user", required=True)
    rm.set_defaults(fn=cmd_remind)
    rt = sub.add_parser("return", help="send a request back from a task to an earlier step someone completed")
    rt.add_argument("task", type=int)
    rt.add_argument("--to", required=True, help="the BPMN id of the earlier step")
    rt.add_argument("--reason", required=True)
    rt.add_argument("--as", dest="as_user", required=True)
    rt.set_defaults(fn=cmd_return)
    cp = sub.add_parser("copy", help="copy a request to people or groups (group:<id>)")
    cp.add_argument("instance", type=int)
    cp.add_argument("to", nargs="+")
    cp.add_argument("--as", dest="as_user", required=True)
    cp.add_argument("--note")
    cp.set_defaults(fn=cmd_copy)

    msg = sub.add_parser("message", help="deliver a message to the instance waiting for it (or start one)")
    msg.add_argument("name")
    msg.add_argument("--as", dest="as_user", required=True)
    msg.add_argument("--data", help="the payload (JSON)")
    msg.add_argument("--correlation", help='correlation keys, JSON {"key": {"property": value}}')
    msg.add_argument("--instance", type=int, help="only this instance")
    msg.add_argument("--all", action="store_true", help="every matching instance, not only the oldest")
    msg.set_defaults(fn=cmd_message)

    sig = sub.add_parser("signal", help="broadcast a signal to every waiting instance")
    sig.add_argument("name")
    sig.add_argument("--as", dest="as_user", required=True)
    sig.add_argument("--data", help="the payload (JSON)")
    sig.set_defaults(fn=cmd_signal)

    rep = sub.add_parser("repair", help="resume instances a restart left waiting on nothing")
    rep.add_argument("--instance", type=int)
    rep.set_defaults(fn=cmd_repair)

    wk = sub.add_parser("worker", help="fire due timers and timer start events, send mail")
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

    return parser, sub


def main(argv: list[str] | None = None, parser: argparse.ArgumentParser | None = None) -> int:
    args = (parser or build_parser()[0]).parse_args(argv)
    try:
        result = args.fn(args)
    except EngineError as exc:
        reason = exc.message.replace("\n", " ")
        if args.json:  # the API's shape: the kind of error, the refusal's code and who holds it, the message
            print(json.dumps({"ok": False, "error": exc.code, "reason": exc.reason, "holder": exc.holder,
                              "message": reason,
                              **({"problems": [str(p) for p in exc.problems]} if hasattr(exc, "problems") else {})},
                             ensure_ascii=False))
        else:
            print(f"error: {reason}", file=sys.stderr)
        return 1
    except Exception as exc:  # noqa: BLE001 - one line, never a traceback, for scripts calling us
        reason = f"{exc.__class__.__name__}: {exc}".splitlines()[0]
        print(json.dumps({"ok": False, "error": "internal", "reason": reason}) if args.json else f"error: {reason}",
              file=sys.stdout if args.json else sys.stderr)
        return 2
    if result is None:
        return 0
    if args.json:
        from .views import to_jsonable
        print(json.dumps({"ok": True, **{k: to_jsonable(v) for k, v in result.items() if k != "message"}},
                         ensure_ascii=False))
    else:
        print(result["message"])
    return 0


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
