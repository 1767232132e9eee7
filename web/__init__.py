"""The Flask web UI: an application factory over the engine; no workflow logic lives here.

`create_app` (web/app.py) is imported on first use, so commands that never build the app (`approvals
--help`, `approvals db upgrade`) do not import Flask.
"""
from __future__ import annotations

from typing import Any


def __getattr__(name: str) -> Any:
    if name == "create_app":
        from .app import create_app
        return create_app
    raise AttributeError(f"module 'web' has no attribute {name!r}")
