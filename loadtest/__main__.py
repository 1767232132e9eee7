"""`python -m loadtest [--backends sqlite,postgresql] [--users 50] [--seconds 60] [--chaos web,worker,database]`

Defaults come from LOADTEST_BACKENDS, LOADTEST_USERS, LOADTEST_SECONDS and LOADTEST_CHAOS when set. Exits 1
when any run lost a completion, had a hard error or failed a check.
"""
from __future__ import annotations

import argparse
import os
import platform
import sys
from datetime import datetime

from .chaos import WHEN
from .figures import report, summary
from .run import run_backend

BACKENDS = ("sqlite", "postgresql")


def names(text: str, allowed, what: str) -> list[str]:
    chosen = [n.strip() for n in text.split(",") if n.strip() and n.strip() != "none"]
    unknown = [n for n in chosen if n not in allowed]
    if unknown:
        raise argparse.ArgumentTypeError(f"unknown {what}: {', '.join(unknown)} (choose from {', '.join(allowed)})")
    return chosen


def parse(argv: list[str] | None) -> argparse.Namespace:
    env = os.environ.get
    parser = argparse.ArgumentParser(prog="python -m loadtest", description=(
        "Run `approvals serve` under concurrent API users with failures injected, then check that nothing it "
        "acknowledged was lost."))
    parser.add_argument("--backends", default=env("LOADTEST_BACKENDS", ",".join(BACKENDS)),
                        type=lambda t: names(t, BACKENDS, "database"), help="sqlite, postgresql or both")
    parser.add_argument("--users", type=int, default=int(env("LOADTEST_USERS", "50")), help="concurrent users (>= 2)")
    parser.add_argument("--seconds", type=float, default=float(env("LOADTEST_SECONDS", "60")),
                        help="length of the load")
    parser.add_argument("--chaos", default=env("LOADTEST_CHAOS", ",".join(WHEN)),
                        type=lambda t: names(t, tuple(WHEN), "failure"),
                        help="failures to inject: web, worker, database (PostgreSQL only), or none")
    args = parser.parse_args(argv)
    if args.users < 2:
        parser.error("--users must be at least 2: users approve each other's requests")
    return args


def main(argv: list[str] | None = None) -> int:
    args = parse(argv)
    load = os.getloadavg()
    print(f"Load test of `approvals serve`, {datetime.now().astimezone():%Y-%m-%d %H:%M %Z}: {os.cpu_count()} CPUs, "
          f"load average {load[0]:.2f} {load[1]:.2f} {load[2]:.2f}, Python {platform.python_version()}; "
          f"chaos: {', '.join(args.chaos) or 'none'}", flush=True)
    results = []
    for backend in args.backends:
        print(f"{backend}:", flush=True)
        result = run_backend(backend, args.users, args.seconds, args.chaos,
                             say=lambda text: print(text, flush=True))
        results.append(result)
        print(report(result), flush=True)
    print()
    print(summary(results))
    failed = [r.backend for r in results if not r.ok]
    print(f"\n{'FAIL: ' + ', '.join(failed) if failed else 'PASS'}")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
