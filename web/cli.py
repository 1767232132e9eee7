"""`approvals`: the engine's commands plus `serve`, which runs the web UI (the engine knows no Flask)."""
from __future__ import annotations

import sys
import threading
import time
from typing import Any

from engine import cli as engine_cli
from procedures import cli as procedures_cli

from .engine_access import EXTENSIONS

DEMO_LOGINS = ("liuyang (客服, applicant), zhangwei (客服经理), lina (客户经理), wangqiang (总经理), "
               "sunli (业务员), wujun (业务主管), zhengkai (主管领导), huangyan (审计), luoming (流程管理员)")


def _background_worker(interval: float) -> None:
    """Fire due timers and send mail beside the web server, so one process is enough to run."""
    def loop() -> None:
        eng = engine_cli.engine_from_env()
        while True:
            try:
                engine_cli.work_once(eng)
            except Exception as exc:  # noqa: BLE001 - keep the loop alive, say what happened
                print(f"worker: {exc.__class__.__name__}: {exc}", file=sys.stderr)
            time.sleep(interval)

    threading.Thread(target=loop, name="worker", daemon=True).start()


def cmd_serve(args) -> Any:
    from . import create_app
    app = create_app()
    if args.timers:
        _background_worker(args.interval)
    print(f"Approvals is running at http://{args.host}:{args.port}/")
    print(f"Demo sign-ins (password demo123): {DEMO_LOGINS}")
    app.run(host=args.host, port=args.port)
    return None


def main(argv: list[str] | None = None) -> int:
    engine_cli.EXTENSIONS = EXTENSIONS  # the company's procedures, registered once for every command
    parser, sub = engine_cli.build_parser()
    procedures_cli.add_commands(sub, engine_cli.engine_from_env)
    serve = sub.add_parser("serve", help="run the web server (and the timer/mail worker)")
    serve.add_argument("--host", default="127.0.0.1")
    serve.add_argument("--port", type=int, default=5000)
    serve.add_argument("--no-timers", dest="timers", action="store_false",
                       help="do not fire timers or send mail in this process (run `approvals worker` instead)")
    serve.add_argument("--interval", type=float, default=30.0, help="seconds between worker rounds")
    serve.set_defaults(fn=cmd_serve)
    return engine_cli.main(argv, parser)


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
