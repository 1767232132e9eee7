"""The application factory: the Flask app over the engine, its blueprints, settings and secret."""
from __future__ import annotations

import os
import secrets
from datetime import timedelta
from pathlib import Path
from typing import Any

from flask import Flask

REPO_ROOT = Path(__file__).resolve().parent.parent


def _env_flag(name: str, default: bool = False) -> bool:
    value = os.environ.get(name)
    return default if value is None else value.strip().lower() in ("1", "true", "yes", "on")


def _defaults() -> dict[str, Any]:
    return {
        "DATABASE_URL": os.environ.get("DATABASE_URL"),
        "FORMS_DIR": os.environ.get("FORMS_DIR"),
        "ENGINE": None,
        # Bring the schema up to date when the app builds its own engine (tests inject a migrated one).
        "UPGRADE_DB": True,
        "SESSION_COOKIE_HTTPONLY": True,
        "SESSION_COOKIE_SAMESITE": "Lax",
        "SESSION_COOKIE_SECURE": _env_flag("SESSION_COOKIE_SECURE"),
        "REMEMBER_COOKIE_HTTPONLY": True,
        "REMEMBER_COOKIE_SAMESITE": "Lax",
        "REMEMBER_COOKIE_SECURE": _env_flag("SESSION_COOKIE_SECURE"),
        "PERMANENT_SESSION_LIFETIME": timedelta(hours=10),
        "WTF_CSRF_ENABLED": True,
        # A token valid for the whole session: an approver may take longer than an hour over a form.
        "WTF_CSRF_TIME_LIMIT": None,
        "BABEL_DEFAULT_LOCALE": "zh_CN",
        "BABEL_DEFAULT_TIMEZONE": os.environ.get("APP_TIMEZONE", "Asia/Shanghai"),
        "LANGUAGES": ("zh_CN", "en"),
        "LOGIN_FREE_FAILURES": 5,
        "LOGIN_LOCK_SECONDS": 30,
        "LOGIN_LOCK_MAX_SECONDS": 900,
        # No request body larger than this is read at all (the models area has its own, smaller limit).
        "MAX_CONTENT_LENGTH": int(os.environ.get("MAX_CONTENT_LENGTH", 4 * 1024 * 1024)),
        # who may read /metrics (besides loopback): e.g. METRICS_ALLOW="10.0.0.5 10.0.0.6"
        "METRICS_ALLOW": tuple(os.environ.get("METRICS_ALLOW", "127.0.0.1 ::1").split()),
        "INBOX_PAGE_SIZE": 20,
        "AUDIT_PAGE_SIZE": 50,
        "AUDIT_EXPORT_LIMIT": 10000,
        "BPMN_JS_DIST": os.environ.get("BPMN_JS_DIST", str(REPO_ROOT / "node_modules" / "bpmn-js" / "dist")),
    }


def create_app(test_config: dict[str, Any] | None = None) -> Flask:
    """Build the app; tests pass `ENGINE` (an engine.Engine) and their settings in `test_config`."""
    instance_dir = Path(os.environ.get("APPROVALS_INSTANCE_DIR", "instance")).resolve()
    app = Flask("web", instance_path=str(instance_dir))
    app.config.from_mapping(_defaults())
    if test_config:
        app.config.update(test_config)
    if not app.config.get("SECRET_KEY"):
        app.config["SECRET_KEY"] = os.environ.get("SECRET_KEY") or _secret_from_file(instance_dir)

    from flask_wtf.csrf import CSRFProtect

    from . import (audit, auth, documents, engine_access, errors, files, health, i18n, inbox, instances, lookups,
                   metrics, present, processes, notice_settings, notices, reports, robots, security, side_tasks, tasks,
                   team, tokens, uploads, vendor, working_calendar)
    engine_access.init_app(app)
    i18n.init_app(app)
    csrf = CSRFProtect(app)
    auth.init_app(app)
    errors.init_app(app)
    present.init_app(app)
    security.init_app(app)
    uploads.init_app(app)
    for module in (auth, health, metrics, inbox, tasks, side_tasks, processes, instances, files, documents, lookups,
                   team, notices, notice_settings, robots, audit, reports, tokens, vendor, working_calendar):
        app.register_blueprint(module.bp)
    from . import models  # process owners' models area (the web/models package)
    app.register_blueprint(models.bp)
    from . import api  # JSON API: credentials on every request and no cookies, so no CSRF token
    csrf.exempt(api.bp)
    app.register_blueprint(api.bp)
    from . import latency
    latency.init_app(app)
    return app


def _secret_from_file(instance_dir: Path) -> str:
    """A random key kept in the instance folder, so sessions survive a restart without configuration."""
    path = instance_dir / "secret_key"
    if path.is_file():
        return path.read_text(encoding="ascii").strip()
    instance_dir.mkdir(parents=True, exist_ok=True)
    key = secrets.token_hex(32)
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:  # another worker wrote it first: use theirs
        return path.read_text(encoding="ascii").strip()
    with os.fdopen(fd, "w", encoding="ascii") as handle:
        handle.write(key)
    return key

