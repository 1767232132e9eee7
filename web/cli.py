"""`approvals`: the engine's commands plus `serve`, which runs the web UI (the engine knows no Flask)."""
from __future__ import annotations

import os
import sys
from typing import Any

from engine import cli as engine_cli
from procedures import cli as procedures_cli

from .extensions import extensions

DEMO_LOGINS = ("liuyang (客服, applicant), zhangwei (客服经理), lina (客户经理), wangqiang (总经理), "
               "sunli (业务员), wujun (业务主管), zhengkai (主管领导), huangyan (审计), luoming (流程管理员)")


def cmd_serve(args) -> Any:
    from .server import serve
    print(f"Approvals is running at http://{args.host}:{args.port}/ ({args.workers} web processes)")
    print(f"Demo sign-ins (password demo123): {DEMO_LOGINS}")
    sys.stdout.flush()
    serve(args.host, args.port, args.workers, args.threads, args.timers, args.interval)
    return None


def cmd_document(args) -> Any:
    """One document of a request as PDF, printed as the user would get it from the web (QR codes point at
    BASE_URL)."""
    from pathlib import Path

    from flask_login import login_user

    from engine import EngineError, NotFound

    from .app import create_app
    from .auth import WebUser
    from .documents import render_sheet
    from .engine_access import get_engine
    from .pdf import PdfUnavailable, html_to_pdf
    app = create_app({"SECRET_KEY": "command-line"})  # no session outlives this command
    with app.test_request_context(base_url=os.environ.get("BASE_URL") or "http://localhost:5000/"):
        engine = get_engine()
        user = engine.user(args.as_user)
        if user is None or not user.active:
            raise NotFound(f"user {args.as_user} does not exist or is inactive")
        login_user(WebUser(user.username, user.name, user.groups))
        sheet = engine.document(args.instance, args.name, user.username)
        try:
            data = html_to_pdf(render_sheet(args.instance, sheet, for_pdf=True))
        except PdfUnavailable as exc:
            raise EngineError(f"no PDF could be made: {exc}", exc.reason) from exc
    out = Path(args.out or f"{args.name}-{args.instance}.pdf")
    out.write_bytes(data)
    return {"file": str(out), "bytes": len(data), "message": f"wrote {out} ({len(data)} bytes)"}


def default_workers() -> int:
    """Web processes for `serve`: WEB_WORKERS, else the CPU count + 1, at least 2 and at most 4."""
    return int(os.environ.get("WEB_WORKERS") or max(2, min(4, (os.cpu_count() or 1) + 1)))


def main(argv: list[str] | None = None) -> int:
    engine_cli.EXTENSIONS = extensions  # the company's procedures, for every command that opens the engine
    parser, sub = engine_cli.build_parser()
    procedures_cli.add_commands(sub, engine_cli.engine_from_env)
    doc = sub.add_parser("document", help="one document of a request (permit, review sheet) as a PDF file")
    doc.add_argument("instance", type=int)
    doc.add_argument("name", help="the document, as `approvals documents ID` lists it")
    doc.add_argument("--as", dest="as_user", required=True)
    doc.add_argument("--out", help="the PDF file to write (default NAME-ID.pdf)")
    doc.set_defaults(fn=cmd_document)
    serve = sub.add_parser("serve", help="run the web server (and the timer/mail worker)")
    serve.add_argument("--host", default="127.0.0.1")
    serve.add_argument("--port", type=int, default=5000)
    serve.add_argument("--workers", type=int, default=default_workers(), help="web processes (WEB_WORKERS)")
    serve.add_argument("--threads", type=int, default=4, help="threads per web process")
    serve.add_argument("--no-timers", dest="timers", action="store_false",
                       help="do not fire timers or send mail in this process (run `approvals worker` instead)")
    serve.add_argument("--interval", type=float, default=2.0, help="seconds between worker rounds")
    serve.set_defaults(fn=cmd_serve)
    return engine_cli.main(argv, parser)


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
