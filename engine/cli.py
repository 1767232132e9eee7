"""`approvals`: the command line. Every command takes --json; failures exit non-zero with one line."""
from __future__ import annotations

import argparse
import json
import os
import sys
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


def cmd_sign(args) -> Any:
    ids = engine_from_env().add_signers(args.task, args.as_user, args.kind, args.to, args.reason,
                                        _data(args.data) if args.data else None)
    return {"side_tasks": ids, "message": f"asked {', '.join(args.to)} on task {args.task} (side tasks "
                                          f"{', '.join(map(str, ids))})"}


def cmd_answer(args) -> Any:
    inst = engine_from_env().answer(args.side_task, args.as_user, args.opinion or "", args.decision,
                                    _data(args.data) if args.data else None)
    return {"instance": inst, "message": f"answered side task {args.side_task}; instance {inst.id} is {inst.status}"}


def cmd_side_tasks(args) -> Any:
    found = engine_from_env().side_tasks(args.instance)
    return {"side_tasks": found, "message": f"{len(found)} side task(s) on instance {args.instance}"}


def cmd_copy(args) -> Any:
    added = engine_from_env().copy_to(args.instance, args.as_user, args.to, args.note or "")
    return {"copied": added, "message": f"copied to {', '.join(added)}" if added else "everyone named had a copy already"}


def cmd_lookup(args) -> Any:
    engine = engine_from_env()
    if args.register:
        item = engine.register_lookup(args.name, args.as_user, args.text)
        return {"item": item, "message": f"registered {item.label} ({item.summary})"}
    items = engine.lookup(args.name, args.as_user, args.text, limit=args.limit)
    lines = [f"{i.value}\t{i.summary}" + (f"\t! {i.warning}" if i.warning else "") for i in items]
    return {"items": items, "message": "\n".join(lines) or f"nothing in {args.name} matches {args.text!r}"}


def cmd_documents(args) -> Any:
    documents = engine_from_env().documents(args.instance, args.as_user)
    lines = [f"{d.name}\t{d.titles.get('zh_CN') or d.titles.get('en')}\t"
             + ("ready" if d.ready else f"not yet: {d.pending.get('en', '')}") for d in documents]
    return {"documents": documents, "message": "\n".join(lines) or f"request {args.instance} produces no documents"}


def _read(path: str) -> bytes:
    try:
        with open(path, "rb") as handle:
            return handle.read()
    except OSError as exc:
        raise EngineError(f"cannot read {path}: {exc.strerror}") from exc


def _file_line(a) -> str:
    where = f"task {a.task_id}" if a.task_id else (f"field {a.field}" if a.field else "request")
    return f"{a.id}\t{a.filename}\t{a.media_type}\t{a.size}\t{a.sha256}\t{a.uploaded_by}\t{where}"


def cmd_attach(args) -> Any:
    instance, paths = None, list(args.items)
    if args.start is None:
        if not paths[0].isdigit() or len(paths) < 2:
            raise EngineError("name the request's id and then the files, or --start PROCESS for a start form")
        instance = int(paths.pop(0))
    elif args.task is not None:
        raise EngineError("--task needs a request, not --start")
    eng = engine_from_env()
    kept = []
    for path in paths:
        name = os.path.basename(path)
        kept.append(eng.stage_attachment(args.start, args.as_user, name, _read(path)) if args.start is not None
                    else eng.attach(instance, args.as_user, name, _read(path), task_id=args.task))
    hint = (f"\nname them in the start form: [{', '.join(str(a.id) for a in kept)}]" if args.start else "")
    return {"attachments": kept, "message": "\n".join(_file_line(a) for a in kept) + hint}


def cmd_attachments(args) -> Any:
    files = engine_from_env().attachments(args.instance, args.as_user)
    return {"attachments": files, "message": "\n".join(_file_line(a) for a in files) or "no files"}


def cmd_download(args) -> Any:
    view, data = engine_from_env().attachment_file(args.attachment, args.as_user)
    target = args.out or view.filename
    if os.path.exists(target) and not args.force:
        raise EngineError(f"{target} exists (--force overwrites it)")
    with open(target, "wb") as handle:
        handle.write(data)
    return {"attachment": view, "path": target, "message": f"wrote {target} ({view.size} bytes, sha256 {view.sha256})"}


def cmd_report(args) -> Any:
    """A report's rows, one tab-separated line each (recorded in the audit as an export)."""
    engine = engine_from_env()
    if not args.name:
        found = engine.reports(args.as_user)
        return {"reports": [r.name for r in found],
                "message": "\n".join(f"{r.name}\t{r.titles.get('en', r.name)}" for r in found) or "no reports"}
    view = engine.report(args.name, args.as_user, export=True)
    keys = [c.key for c in view.report.columns]
    lines = ["\t".join(keys), *("\t".join("" if row.get(k) is None else str(row[k]) for k in keys)
                                 for row in view.rows)]
    return {"report": view.report.name, "at": view.at, "rows": [dict(row) for row in view.rows],
            "message": "\n".join(lines)}


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


def cmd_calendar_show(args) -> Any:
    year = engine_from_env().calendar_year(args.year)
    special = [f"{d.day.isoformat()}\t{'working' if d.working else 'off'}\t{d.kind}\t{d.name}"
               + (f"\t(entered by {d.entry.created_by})" if d.entry else "")
               for d in year.dates if d.kind not in ("workday", "weekend")]
    head = (f"{year.year}: official calendar known" if year.known else
            f"{year.year}: official calendar NOT known (the package knows {year.official_years[0]}-"
            f"{year.official_years[1]}): Monday to Friday and the days entered")
    hours = ", ".join(f"{a}-{b}" for a, b in year.hours)
    return {"calendar": year, "message": "\n".join([head, f"working hours {hours}", *special])}


def cmd_calendar_set(args) -> Any:
    entry = engine_from_env().set_calendar_day(args.day, args.working, args.name, args.as_user, args.official)
    what = "worked" if entry.working else "not worked"
    return {"entry": entry, "message": f"{entry.day.isoformat()} is {what}: {entry.name}"}


def cmd_calendar_remove(args) -> Any:
    engine_from_env().remove_calendar_day(args.day, args.as_user)
    return {"day": args.day, "message": f"{args.day} follows China's official calendar again"}


def build_parser() -> tuple[argparse.ArgumentParser, Any]:
    """The parser and its sub-command set (the web package adds `serve` to it)."""
    parser = argparse.ArgumentParser(prog="approvals", description="Company procedures as BPMN, with audit.")
    parser.add_argument("--json", action="store_true", help="machine-readable output")
    sub = parser.add_subparsers(dest="command", required=True)

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
    sg = sub.add_parser("sign", help="加签: ask others for their opinion before deciding (consult) or for "
                                     "their approval after one's own decision (countersign, with --data)")
    sg.add_argument("task", type=int)
    sg.add_argument("to", nargs="+", help="logins or group:<id>")
    sg.add_argument("--kind", choices=("consult", "countersign"), default="consult")
    sg.add_argument("--reason", required=True)
    sg.add_argument("--data", help="countersign: one's own decision, the task's form (JSON)")
    sg.add_argument("--as", dest="as_user", required=True)
    sg.set_defaults(fn=cmd_sign)
    an = sub.add_parser("answer", help="answer a side task: an opinion, approve/reject, or the redone step's form")
    an.add_argument("side_task", type=int)
    an.add_argument("--opinion")
    an.add_argument("--decision", choices=("approve", "reject"))
    an.add_argument("--data", help="rework: the step's form (JSON)")
    an.add_argument("--as", dest="as_user", required=True)
    an.set_defaults(fn=cmd_answer)
    sl = sub.add_parser("side-tasks", help="a request's side tasks (加签, rework) and their answers")
    sl.add_argument("instance", type=int)
    sl.set_defaults(fn=cmd_side_tasks)
    cp = sub.add_parser("copy", help="copy a request to people or groups (group:<id>)")
    cp.add_argument("instance", type=int)
    cp.add_argument("to", nargs="+")
    cp.add_argument("--as", dest="as_user", required=True)
    cp.add_argument("--note")
    cp.set_defaults(fn=cmd_copy)

    lk = sub.add_parser("lookup", help="find entries of a register form fields pick from (one an "
                                       "installed procedure package provides), or register a new one")
    lk.add_argument("name", help="the register's name")
    lk.add_argument("text", nargs="?", default="", help="part of a name, or a code")
    lk.add_argument("--as", dest="as_user", required=True)
    lk.add_argument("--limit", type=int, default=10, help="matches shown (1 to 50)")
    lk.add_argument("--register", action="store_true", help="register TEXT as a new entry")
    lk.set_defaults(fn=cmd_lookup)
    dc = sub.add_parser("documents", help="the documents a request produces (permit, review sheet) and whether "
                                          "each exists yet")
    dc.add_argument("instance", type=int)
    dc.add_argument("--as", dest="as_user", required=True)
    dc.set_defaults(fn=cmd_documents)
    at = sub.add_parser("attach", help="attach files to a request (or one of its tasks), or upload them for a "
                                       "start form (--start PROCESS)")
    at.add_argument("items", nargs="+", metavar="[ID] FILE", help="the request's id, then the files")
    at.add_argument("--start", metavar="PROCESS", help="upload for a start form of PROCESS; prints the ids to name")
    at.add_argument("--task", type=int, help="an open task of the request that the user may complete")
    at.add_argument("--as", dest="as_user", required=True)
    at.set_defaults(fn=cmd_attach)
    al = sub.add_parser("attachments", help="the files of a request")
    al.add_argument("instance", type=int)
    al.add_argument("--as", dest="as_user", required=True)
    al.set_defaults(fn=cmd_attachments)
    dl = sub.add_parser("download", help="save an attachment's file (checked against its sha256)")
    dl.add_argument("attachment", type=int)
    dl.add_argument("--as", dest="as_user", required=True)
    dl.add_argument("--out", help="where to write it (default: its own name, here)")
    dl.add_argument("--force", action="store_true", help="overwrite --out when it exists")
    dl.set_defaults(fn=cmd_download)
    rp = sub.add_parser("report", help="a report's rows, tab-separated (without a name: the reports one may read)")
    rp.add_argument("name", nargs="?")
    rp.add_argument("--as", dest="as_user", required=True)
    rp.set_defaults(fn=cmd_report)

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

    cal = sub.add_parser("calendar", help="the working calendar: show a year, enter or remove a day")
    cal_sub = cal.add_subparsers(dest="calendar_command", required=True)
    cs = cal_sub.add_parser("show", help="holidays, 调休 working days and entered days of a year")
    cs.add_argument("year", type=int)
    cs.set_defaults(fn=cmd_calendar_show)
    cset = cal_sub.add_parser("set", help="enter a day: a company closure (--off) or a day worked (--on)")
    cset.add_argument("day", help="YYYY-MM-DD")
    on_off = cset.add_mutually_exclusive_group(required=True)
    on_off.add_argument("--off", dest="working", action="store_false", help="not worked (a closure, a holiday)")
    on_off.add_argument("--on", dest="working", action="store_true", help="worked")
    cset.add_argument("--name", required=True, help="what the day is, e.g. 年度检修停产")
    cset.add_argument("--official", action="store_true",
                      help="a day of China's official calendar (for a year the package does not know)")
    cset.add_argument("--as", dest="as_user", required=True)
    cset.set_defaults(fn=cmd_calendar_set)
    crm = cal_sub.add_parser("remove", help="remove an entered day")
    crm.add_argument("day", help="YYYY-MM-DD")
    crm.add_argument("--as", dest="as_user", required=True)
    crm.set_defaults(fn=cmd_calendar_remove)

    from . import channels_cli, operations_cli  # notifications; the operator's: schema, directory, deploy, ...
    channels_cli.add_commands(sub)
    operations_cli.add_commands(sub)
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
