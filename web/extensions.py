"""The packages of procedures this application runs, registered here once for the app, the worker and
the command line (imported on first use: `approvals --help` does not load them)."""
from __future__ import annotations


def extensions() -> tuple:
    from procedures import COMPANY
    return (COMPANY,)
