"""The procedures' own commands, added to `approvals` by the program that composes the command line."""
from __future__ import annotations

from typing import Any, Callable


def add_commands(sub, engine_factory: Callable[[], Any]) -> None:
    """`approvals demo load`: the demo instances of every procedure."""
    def cmd_demo_load(_args) -> dict[str, Any]:
        from .demo import load_demo
        started = load_demo(engine_factory())
        return {"started": started, "message": f"demo: {started} instance(s) in flight"}

    demo = sub.add_parser("demo", help="demo data").add_subparsers(dest="demo_command", required=True)
    demo.add_parser("load", help="start demo instances in every procedure").set_defaults(fn=cmd_demo_load)
