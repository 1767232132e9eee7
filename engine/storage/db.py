"""Database connection: a SQLite file by default (WAL, busy timeout), PostgreSQL via DATABASE_URL."""
from __future__ import annotations

import os
from pathlib import Path

from sqlalchemy import create_engine, event
from sqlalchemy.engine import Engine as SAEngine
from sqlalchemy.orm import Session, sessionmaker

DEFAULT_INSTANCE_DIR = Path(os.environ.get("APPROVALS_INSTANCE_DIR", "instance"))
# FULL: a commit is on disk before the user is told it happened (a power cut loses no confirmed approval).
# NORMAL (WAL) is faster and can lose the last commits on power loss; for throwaway databases only.
SQLITE_SYNCHRONOUS = {"FULL", "NORMAL", "EXTRA"}


def default_url() -> str:
    """DATABASE_URL, or a SQLite file in the instance folder."""
    url = os.environ.get("DATABASE_URL")
    if url:
        return normalise_url(url)
    DEFAULT_INSTANCE_DIR.mkdir(parents=True, exist_ok=True)
    return f"sqlite:///{(DEFAULT_INSTANCE_DIR / 'approvals.sqlite3').resolve()}"


def normalise_url(url: str) -> str:
    """Use psycopg 3 for plain postgresql:// URLs."""
    for prefix in ("postgres://", "postgresql://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url[len(prefix):]
    return url


def make_engine(url: str | None = None) -> SAEngine:
    """An SQLAlchemy engine with the per-backend settings the engine relies on."""
    url = normalise_url(url or default_url())
    if url.startswith("sqlite"):
        synchronous = sqlite_synchronous()
        engine = create_engine(url, connect_args={"timeout": 30, "check_same_thread": False})

        @event.listens_for(engine, "connect")
        def _sqlite_pragmas(dbapi_conn, _record):  # pragma: no cover - trivial
            cur = dbapi_conn.cursor()
            cur.execute("PRAGMA journal_mode=WAL")
            cur.execute("PRAGMA busy_timeout=30000")
            cur.execute("PRAGMA foreign_keys=ON")
            cur.execute(f"PRAGMA synchronous={synchronous}")
            cur.close()
        return engine
    return create_engine(url, pool_pre_ping=True)


def sqlite_synchronous() -> str:
    """The SQLite durability level: APPROVALS_SQLITE_SYNCHRONOUS (FULL by default)."""
    value = (os.environ.get("APPROVALS_SQLITE_SYNCHRONOUS") or "FULL").upper()
    if value not in SQLITE_SYNCHRONOUS:
        raise ValueError(f"APPROVALS_SQLITE_SYNCHRONOUS must be one of {sorted(SQLITE_SYNCHRONOUS)}, not {value!r}")
    return value


def make_sessionmaker(engine: SAEngine) -> sessionmaker[Session]:
    return sessionmaker(engine, expire_on_commit=False)


def is_postgres(engine: SAEngine) -> bool:
    return engine.dialect.name == "postgresql"


def upgrade(engine: SAEngine, extensions=()) -> None:
    """Bring the schema to the newest Alembic revision: the engine's branch and each extension's own."""
    from alembic import command
    from alembic.config import Config

    here = Path(__file__).resolve().parent.parent  # the engine package: migrations/ lives there
    cfg = Config()
    cfg.set_main_option("script_location", str(here / "migrations"))
    cfg.set_main_option("path_separator", "os")
    locations = [here / "migrations" / "versions", *(ext.migrations for ext in extensions if ext.migrations)]
    cfg.set_main_option("version_locations", os.pathsep.join(str(p) for p in locations))
    with engine.begin() as conn:
        _adopt(conn, extensions)
        cfg.attributes["connection"] = conn
        command.upgrade(cfg, "heads")


def _adopt(conn, extensions) -> None:
    """Record an extension's branch as applied where its tables came with an older engine revision.

    Before extensions had branches of their own, their tables were created by the engine's own chain; a
    database at such an engine revision already has them, so the extension's branch starts at
    `adopt_at[engine revision]` instead of creating them again."""
    from sqlalchemy import inspect, text

    if not inspect(conn).has_table("alembic_version"):
        return
    heads = set(conn.execute(text("SELECT version_num FROM alembic_version")).scalars())
    tables = set(inspect(conn).get_table_names())
    for ext in extensions:
        if heads & set(ext.adopt_at.values()) or ext.metadata is None or not tables & set(ext.metadata.tables):
            continue  # already on its branch, or its tables were never made
        for engine_revision, branch_revision in ext.adopt_at.items():
            if engine_revision in heads:
                conn.execute(text("INSERT INTO alembic_version (version_num) VALUES (:v)"), {"v": branch_revision})
                heads.add(branch_revision)
                break
