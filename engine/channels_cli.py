"""The command line's notification commands: one's channel preferences, out of office, and the groups' chat
robots (process owners; the operator as `--as system`)."""
from __future__ import annotations

from datetime import date
from typing import Any

from .cli import engine_from_env
from .errors import EngineError


def _day(text: str, flag: str) -> date:
    try:
        return date.fromisoformat(text)
    except (TypeError, ValueError) as exc:
        raise EngineError(f"{flag} must be a date YYYY-MM-DD", "dates_missing") from exc


def _prefs_message(p) -> str:
    return f"{p.username}: in the app always; mail {'on' if p.mail else 'off'} for {', '.join(p.events) or 'nothing'}"


def cmd_notice_settings(args) -> Any:
    eng = engine_from_env()
    if args.mail is None and args.events is None:
        prefs = eng.notice_preferences(args.as_user)
    else:
        current = eng.notice_preferences(args.as_user)
        mail = current.mail if args.mail is None else args.mail == "on"
        events = current.events if args.events is None else [e for e in args.events.split(",") if e]
        prefs = eng.set_notice_preferences(args.as_user, mail, events)
    return {"preferences": prefs, "message": _prefs_message(prefs)}


def cmd_away(args) -> Any:
    eng = engine_from_env()
    if args.clear:
        cleared = eng.clear_out_of_office(args.as_user)
        return {"cleared": cleared, "message": "back in the office" if cleared else "no absence was set"}
    if args.deputy is None:
        absence = eng.out_of_office(args.as_user)
    else:
        absence = eng.set_out_of_office(args.as_user, args.deputy, _day(args.starts, "--from"), _day(args.ends, "--to"))
    message = (f"{absence.username} away {absence.starts_on} to {absence.ends_on}: new tasks go to {absence.deputy}"
               if absence else f"{args.as_user} is not out of office")
    return {"out_of_office": absence, "message": message}


def cmd_robot_set(args) -> Any:
    robot = engine_from_env().set_group_robot(args.group, args.as_user, args.url, args.kind, args.secret)
    return {"robot": robot, "message": f"group {robot.group_id}: {robot.kind} robot at {robot.url}"
                                       + (" (signed)" if robot.signed else "")}


def cmd_robot_remove(args) -> Any:
    removed = engine_from_env().remove_group_robot(args.group, args.as_user)
    return {"removed": removed, "message": f"group {args.group}: robot removed" if removed else "it had no robot"}


def cmd_robot_list(args) -> Any:
    robots = engine_from_env().group_robots(args.as_user)
    lines = [f"{r.group_id}\t{r.kind}\t{r.url}" + ("\tsigned" if r.signed else "") for r in robots]
    return {"robots": robots, "message": "\n".join(lines) or "no group has a robot"}


def cmd_robot_failed(args) -> Any:
    failed = engine_from_env().failed_robot_posts(args.as_user)
    return {"failed": failed, "message": "\n".join(
        f"{f.id}\t{f.group_id}\t{f.subject}\t{f.attempts} attempts\t{f.last_error}" for f in failed)
        or "no post was given up"}


def add_commands(sub) -> None:
    ns = sub.add_parser("notice-settings", help="one's notification channels (shown without options)")
    ns.add_argument("--as", dest="as_user", required=True)
    ns.add_argument("--mail", choices=("on", "off"))
    ns.add_argument("--events", help="comma-separated: task,reminder,copy,mention,outcome (empty: none)")
    ns.set_defaults(fn=cmd_notice_settings)

    aw = sub.add_parser("away", help="out of office: a deputy takes one's new tasks (shown without options)")
    aw.add_argument("--as", dest="as_user", required=True)
    aw.add_argument("--deputy")
    aw.add_argument("--from", dest="starts", help="first day away, YYYY-MM-DD")
    aw.add_argument("--to", dest="ends", help="last day away, YYYY-MM-DD")
    aw.add_argument("--clear", action="store_true", help="back in the office")
    aw.set_defaults(fn=cmd_away)

    rb = sub.add_parser("robot", help="groups' chat robots (企业微信, 钉钉)").add_subparsers(
        dest="robot_command", required=True)
    rs = rb.add_parser("set", help="give a group a robot")
    rs.add_argument("group")
    rs.add_argument("--url", required=True)
    rs.add_argument("--kind", required=True, help="wecom (企业微信) or dingtalk (钉钉)")
    rs.add_argument("--secret", help="钉钉's signing secret")
    rs.add_argument("--as", dest="as_user", required=True)
    rs.set_defaults(fn=cmd_robot_set)
    rr = rb.add_parser("remove", help="take a group's robot away")
    rr.add_argument("group")
    rr.add_argument("--as", dest="as_user", required=True)
    rr.set_defaults(fn=cmd_robot_remove)
    for name, fn, text in (("list", cmd_robot_list, "every group's robot (never its secret)"),
                           ("failed", cmd_robot_failed, "posts given up after their last attempt")):
        cmd = rb.add_parser(name, help=text)
        cmd.add_argument("--as", dest="as_user", required=True)
        cmd.set_defaults(fn=fn)
