"""`python -m web [--host H] [--port P]`: run the web UI on its own."""
from __future__ import annotations

import argparse

from . import serve


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m web", description="Run the approvals web UI.")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=5000)
    args = parser.parse_args()
    serve(args.host, args.port)


if __name__ == "__main__":
    main()
