"""Fixture chain for the web tests: template database -> engine (with FakeClock) -> app -> client."""
from __future__ import annotations

import re
import shutil
from pathlib import Path

import pytest

from engine import Engine
from engine.storage.db import make_engine
from tests.conftest import DATA, PROCEDURES, FakeClock, build_engine
from web import create_app
from web.i18n import ensure_compiled

WEB_USERS = DATA / "web_users.yaml"
PROCESSES = (DATA / "approval.bpmn", DATA / "web_widgets.bpmn")


@pytest.fixture(scope="session", autouse=True)
def compiled_translations():
    """The .mo catalogs, so no test depends on `pybabel compile` having run."""
    ensure_compiled()


def forms_folder(target: Path) -> Path:
    """The engine reads forms from one folder: the small process's forms plus the web tests' own."""
    target.mkdir(parents=True, exist_ok=True)
    for source in (DATA / "forms", DATA / "web_forms"):
        for path in source.glob("*.json"):
            shutil.copy(path, target / path.name)
    return target


@pytest.fixture(scope="session")
def forms_dir(tmp_path_factory) -> Path:
    return forms_folder(tmp_path_factory.mktemp("forms"))


def seed(url: str, forms: Path) -> Engine:
    """Migrate, import the web test users, deploy the test processes."""
    engine = build_engine(url, FakeClock(), WEB_USERS, forms, extensions=PROCEDURES)
    engine.deploy_paths(list(PROCESSES), "owen")
    return engine


@pytest.fixture(scope="session")
def template_db(tmp_path_factory, forms_dir) -> Path:
    """A seeded SQLite file, built once (argon2 hashing is slow) and copied for each test."""
    path = tmp_path_factory.mktemp("webdb") / "template.sqlite3"
    seed(f"sqlite:///{path}", forms_dir).sa_engine.dispose()
    return path


@pytest.fixture
def web_engine(template_db, forms_dir, tmp_path, clock) -> Engine:
    path = tmp_path / "web.sqlite3"
    shutil.copy(template_db, path)
    engine = Engine(make_engine(f"sqlite:///{path}"), forms_dir=forms_dir, clock=clock, extensions=PROCEDURES)
    yield engine
    engine.sa_engine.dispose()


def make_app(engine: Engine, **config):
    settings = {"TESTING": True, "ENGINE": engine, "SECRET_KEY": "test-secret", "WTF_CSRF_ENABLED": False}
    settings.update(config)
    return create_app(settings)


@pytest.fixture
def app(web_engine):
    return make_app(web_engine)


@pytest.fixture
def client(app):
    return app.test_client()


def login(client, username: str, password: str | None = None):
    return client.post("/login", data={"username": username, "password": password or f"pw-{username}"})


def csrf_token(client, url: str = "/login") -> str:
    """The token a page's forms carry (for apps with CSRF protection on)."""
    return re.search(r'name="csrf_token" value="([^"]+)"', client.get(url).text).group(1)


def csrf_login(client, username: str):
    return client.post("/login", data={"username": username, "password": f"pw-{username}",
                                       "csrf_token": csrf_token(client)})


def start_request(engine: Engine, user: str = "alice", customer: str = "宏达公司", amount: int = 500):
    return engine.start("small_approval", user, {"customer": customer, "amount": amount})


def open_task(engine: Engine, instance_id: int, bpmn_id: str):
    return next(t for t in engine.open_tasks(instance_id) if t.bpmn_id == bpmn_id)
