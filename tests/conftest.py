"""Fixture chain: database (SQLite and a real PostgreSQL) -> engine -> clock."""
from __future__ import annotations

import os
import uuid
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text

from engine import Engine
from engine.db import make_engine, upgrade
from engine.directory import import_directory, load_directory_file
from tests.pg import PostgresServer

ROOT = Path(__file__).resolve().parent.parent
WORKFLOWS = ROOT / "workflows"
FORMS = ROOT / "forms"
DATA = Path(__file__).resolve().parent / "data"
DEMO_USERS = ROOT / "engine" / "demo" / "users.yaml"
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


@pytest.fixture(params=["sqlite", "postgresql"])
def database_url(request, tmp_path):
    """A fresh, migrated database: a SQLite file, or a new database on the test PostgreSQL server."""
    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path / 'test.sqlite3'}"
        yield url
        return
    server_url = request.getfixturevalue("postgres_server")
    name = "t_" + uuid.uuid4().hex[:12]
    admin = create_engine(server_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    yield server_url.rsplit("/", 1)[0] + "/" + name
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE "{name}" WITH (FORCE)'))
    admin.dispose()


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


def build_engine(url: str, clock, users_file: Path, forms_dir: Path = FORMS) -> Engine:
    sa_engine = make_engine(url)
    upgrade(sa_engine)
    engine = Engine(sa_engine, forms_dir=forms_dir, clock=clock)
    with engine.Session() as s, s.begin():
        import_directory(s, load_directory_file(users_file))
    return engine


@pytest.fixture
def engine(database_url, clock):
    """An Engine on a fresh database with the demo organisation imported (procedure scenarios)."""
    eng = build_engine(database_url, clock, DEMO_USERS)
    yield eng
    eng.sa_engine.dispose()


@pytest.fixture
def small(database_url, clock):
    """An Engine with the small test approval process deployed and the test users imported."""
    eng = build_engine(database_url, clock, DATA / "users.yaml", DATA / "forms")
    eng.deploy_paths([DATA / "approval.bpmn"], "owen")
    yield eng
    eng.sa_engine.dispose()
