"""`python -m web [--host H] [--port P] ...`: the same production server as `approvals serve`."""
from __future__ import annotations

import sys

from .cli import main as approvals


def main(argv: list[str] | None = None) -> int:
    return approvals(["serve", *(sys.argv[1:] if argv is None else argv)])


if __name__ == "__main__":
    sys.exit(main())
