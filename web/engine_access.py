"""The one Engine of an app: injected by tests, else built once from DATABASE_URL on first use."""
from __future__ import annotations

import threading
from pathlib import Path

from flask import Flask, current_app

from engine import Engine

from .extensions import extensions

EXTENSIONS = extensions()  # the packages of procedures this application runs

_KEY = "approvals.engine"
_LOCK_KEY = "approvals.engine_lock"


def init_app(app: Flask) -> None:
    app.extensions[_KEY] = app.config.get("ENGINE")
    app.extensions[_LOCK_KEY] = threading.Lock()


def get_engine() -> Engine:
    """The app's Engine (created lazily, so building the app never touches the database)."""
    app = current_app
    engine = app.extensions.get(_KEY)
    if engine is None:
        with app.extensions[_LOCK_KEY]:
            engine = app.extensions.get(_KEY)
            if engine is None:
                engine = _build(app)
                app.extensions[_KEY] = engine
    return engine


def _build(app: Flask) -> Engine:
    from engine import default_url, make_engine, upgrade

    sa_engine = make_engine(app.config.get("DATABASE_URL") or default_url())
    if app.config.get("UPGRADE_DB"):
        upgrade(sa_engine, EXTENSIONS)
    forms_dir = app.config.get("FORMS_DIR")
    return Engine(sa_engine, forms_dir=Path(forms_dir) if forms_dir else None, extensions=EXTENSIONS)
