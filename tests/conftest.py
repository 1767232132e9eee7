"""Fixture chain: database (SQLite and a real PostgreSQL) -> engine -> clock."""
from __future__ import annotations

import os
import shutil
import uuid
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text

# Test databases are thrown away: commit without waiting for the disk (the default is FULL, see
# tests/engine/test_durability.py); set before any engine (or server subprocess) reads it.
os.environ.setdefault("APPROVALS_SQLITE_SYNCHRONOUS", "NORMAL")
# A request runs its first steps for at most 2 s, then leaves them to the worker (engine/continuing.py).
# Scenario tests act on the task a start opens at once; on a busy machine the first start of a run (specs
# parsed, the sandbox started) can pass 2 s and open nothing yet. The tests of that budget set it
# themselves (tests/engine/test_budgets.py, tests/web/test_continuation.py).
os.environ.setdefault("APPROVALS_REQUEST_STEP_SECONDS", "30")

from engine import Engine
from engine.storage.db import make_engine, upgrade
from engine.directory import load_directory_file
from procedures import COMPANY
from tests.pg import PostgresServer
from tests.restart import RestartingEngine

ROOT = Path(__file__).resolve().parent.parent
WORKFLOWS = ROOT / "workflows"
FORMS = ROOT / "forms"
DATA = Path(__file__).resolve().parent / "data"
DEMO_USERS = ROOT / "procedures" / "users.yaml"
PROCEDURES = (COMPANY,)  # the company's procedures; the engine's own tests run without them
IN_CI = os.environ.get("CI", "").lower() in ("1", "true", "yes")


class FakeClock:
    """An injected clock: starts on a fixed Monday morning (Beijing time) and moves only when told."""

    def __init__(self, start: datetime | None = None):
        self.now = start or datetime(2026, 11, 23, 9, 0, tzinfo=timezone(timedelta(hours=8)))

    def __call__(self) -> datetime:
        return self.now

    def advance(self, **delta) -> datetime:
        self.now = self.now + timedelta(**delta)
        return self.now

    def set(self, when: datetime) -> datetime:
        self.now = when
        return self.now


@pytest.fixture(scope="session")
def postgres_server():
    server = PostgresServer()
    if not server.available:
        if IN_CI:
            pytest.fail("PostgreSQL binaries (initdb, pg_ctl) are missing: CI must install postgresql")
        pytest.skip("PostgreSQL binaries not installed")
    url = server.start()
    yield url
    server.stop()


@pytest.fixture(scope="session", autouse=True)
def fast_password_hashes():
    """Cheap argon2 parameters for the suite: hashing is tested, its cost is not."""
    from argon2 import PasswordHasher

    from engine import directory
    original = directory._hasher
    directory._hasher = PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1)
    yield
    directory._hasher = original


@pytest.fixture(scope="session", autouse=True)
def attachment_store(tmp_path_factory):
    """Attachments' bytes go to a folder of the test session, never to an `instance/` folder."""
    previous = os.environ.get("APPROVALS_FILES_DIR")
    os.environ["APPROVALS_FILES_DIR"] = str(tmp_path_factory.mktemp("files"))
    yield Path(os.environ["APPROVALS_FILES_DIR"])
    if previous is None:
        os.environ.pop("APPROVALS_FILES_DIR", None)
    else:
        os.environ["APPROVALS_FILES_DIR"] = previous


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory) -> Path:
    """A migrated SQLite file, copied for each test (migrating costs more than copying)."""
    path = tmp_path_factory.mktemp("template") / "migrated.sqlite3"
    sa_engine = make_engine(f"sqlite:///{path}")
    upgrade(sa_engine)
    sa_engine.dispose()
    return path


@pytest.fixture
def sqlite_url(tmp_path, sqlite_template) -> str:
    target = tmp_path / "test.sqlite3"
    shutil.copy(sqlite_template, target)
    return f"sqlite:///{target}"


@pytest.fixture(scope="session")
def pg_template(postgres_server) -> str:
    """A migrated database on the test server, used as the template of every test database."""
    admin = create_engine(postgres_server, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text('CREATE DATABASE "migrated_template"'))
    admin.dispose()
    sa_engine = make_engine(postgres_server.rsplit("/", 1)[0] + "/migrated_template")
    upgrade(sa_engine)
    sa_engine.dispose()
    return "migrated_template"


@pytest.fixture
def pg_url(postgres_server, pg_template):
    """A new, migrated database on the test PostgreSQL server, dropped afterwards."""
    name = "t_" + uuid.uuid4().hex[:12]
    admin = create_engine(postgres_server, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}" TEMPLATE "{pg_template}"'))
    yield postgres_server.rsplit("/", 1)[0] + "/" + name
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE "{name}" WITH (FORCE)'))
    admin.dispose()


@pytest.fixture(params=["sqlite", "postgresql"])
def database_url(request) -> str:
    """A fresh database: every test using it runs once on SQLite and once on PostgreSQL."""
    return request.getfixturevalue("sqlite_url" if request.param == "sqlite" else "pg_url")


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


def build_engine(url: str, clock, users_file: Path, forms_dir: Path = FORMS, extensions=()) -> Engine:
    """An Engine (with the given extensions, their tables migrated) and its directory imported."""
    sa_engine = make_engine(url)
    upgrade(sa_engine, extensions)
    engine = Engine(sa_engine, forms_dir=forms_dir, clock=clock, extensions=extensions)
    engine.import_users(load_directory_file(users_file))
    return engine


@pytest.fixture(params=["sqlite", "postgresql", "sqlite-restarting"])
def engine(request, clock):
    """An Engine with the company's procedures on a fresh database, the demo organisation imported.

    Every scenario runs three times: on SQLite, on PostgreSQL, and on SQLite with a new Engine for
    every call (as after a server restart or on a second worker), so no step may rely on memory.
    """
    url = request.getfixturevalue("pg_url" if request.param == "postgresql" else "sqlite_url")
    eng = build_engine(url, clock, DEMO_USERS, extensions=PROCEDURES)
    yield (RestartingEngine(eng.sa_engine, forms_dir=FORMS, clock=clock, extensions=PROCEDURES)
           if request.param.endswith("restarting") else eng)
    eng.sa_engine.dispose()


def rows(engine: Engine, stmt) -> list:
    """Records read in a read-only session, detached before its rollback so they stay readable."""
    with engine.session() as s:
        found = list(s.scalars(stmt))
        s.expunge_all()
    return found


def build_small(url: str, clock) -> Engine:
    """An Engine with the small test approval process deployed and the test users imported."""
    eng = build_engine(url, clock, DATA / "users.yaml", DATA / "forms")
    eng.deploy_paths([DATA / "approval.bpmn"], "owen")
    return eng


@pytest.fixture
def small(database_url, clock):
    eng = build_small(database_url, clock)
    yield eng
    eng.sa_engine.dispose()


@pytest.fixture
def small_sqlite(sqlite_url, clock):
    eng = build_small(sqlite_url, clock)
    yield eng
    eng.sa_engine.dispose()


@pytest.fixture
def small_pg(pg_url, clock):
    eng = build_small(pg_url, clock)
    yield eng
    eng.sa_engine.dispose()
