"""Browser tests: Debian's chromium driven by Playwright against a real server in a thread on a SQLite file."""
from __future__ import annotations

import os
import shutil
import threading
from pathlib import Path

import pytest

from tests.conftest import IN_CI, PROCEDURES, ROOT, build_engine
from web import create_app
from web.i18n import ensure_compiled

CHROMIUM = Path("/usr/bin/chromium")
ARTIFACTS = ROOT / "test-artifacts"
LAUNCH_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking"]


@pytest.fixture(scope="session")
def browser():
    if not CHROMIUM.exists():
        if IN_CI:
            pytest.fail("/usr/bin/chromium is missing: CI must install chromium (apt-get install chromium)")
        pytest.skip("chromium is not installed (apt-get install chromium fonts-wqy-microhei)")
    from playwright.sync_api import sync_playwright
    ensure_compiled()
    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=str(CHROMIUM), args=LAUNCH_ARGS)
        yield chromium
        chromium.close()


class LiveServer:
    """The app on Werkzeug's threaded server, on a free port of the loopback interface."""

    def __init__(self, app):
        from werkzeug.serving import make_server
        self.app = app
        self.server = make_server("127.0.0.1", 0, app, threaded=True)
        self.url = f"http://127.0.0.1:{self.server.server_port}"
        self.thread = threading.Thread(target=self.server.serve_forever, name="live-server", daemon=True)

    def __enter__(self):
        self.thread.start()
        return self

    def __exit__(self, *exc):
        self.server.shutdown()
        self.thread.join(timeout=10)
        self.server.server_close()


def forms_folder(target: Path, sources) -> Path:
    target.mkdir(parents=True, exist_ok=True)
    for source in sources:
        for path in Path(source).glob("*.json"):
            shutil.copy(path, target / path.name)
    return target


@pytest.fixture(scope="session")
def bpmn_js():
    """The diagram viewer from npm (node_modules is never committed: `npm install` puts it there)."""
    dist = ROOT / "node_modules" / "bpmn-js" / "dist" / "bpmn-navigated-viewer.production.min.js"
    if not dist.is_file():
        if IN_CI:
            pytest.fail("node_modules/bpmn-js is missing: CI must run `npm install --no-audit --no-fund`")
        pytest.skip("bpmn-js is not installed (npm install --no-audit --no-fund)")
    return dist


@pytest.fixture
def artifacts() -> Path:
    ARTIFACTS.mkdir(exist_ok=True)
    return ARTIFACTS


def serve_scenario(scenario, tmp_path: Path, bpmn_files=(), forms_dirs=()):
    """A seeded SQLite file, an engine on the scenario's clock (else the real one) and the app with CSRF on,
    as in production."""
    forms = forms_folder(tmp_path / "forms", [*scenario.forms_dirs, *forms_dirs])
    clock = getattr(scenario, "clock", lambda: None)()
    engine = build_engine(f"sqlite:///{tmp_path / 'browser.sqlite3'}", clock, scenario.users_file, forms, extensions=PROCEDURES)
    engine.deploy_paths([*scenario.bpmn_files, *bpmn_files], "system")
    app = create_app({"ENGINE": engine, "SECRET_KEY": os.urandom(16).hex(), "WTF_CSRF_ENABLED": True})
    return engine, LiveServer(app)
