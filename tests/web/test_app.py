"""The factory: no test config (DATABASE_URL, instance folder, repo forms/), and a flow on both databases."""
from __future__ import annotations

import os
import stat

from engine.directory import import_directory, load_directory_file
from tests.conftest import ROOT
from tests.web.conftest import WEB_USERS, csrf_login, login, make_app, open_task, seed
from web import create_app
from web.engine_access import get_engine


def test_create_app_without_test_config(monkeypatch, tmp_path):
    monkeypatch.setenv("DATABASE_URL", f"sqlite:///{tmp_path / 'app.sqlite3'}")
    monkeypatch.setenv("APPROVALS_INSTANCE_DIR", str(tmp_path / "instance"))
    monkeypatch.delenv("SECRET_KEY", raising=False)
    app = create_app()
    key_file = tmp_path / "instance" / "secret_key"
    assert key_file.is_file() and stat.S_IMODE(key_file.stat().st_mode) == 0o600
    assert app.config["SECRET_KEY"] == key_file.read_text().strip()
    assert create_app().config["SECRET_KEY"] == app.config["SECRET_KEY"]  # kept across restarts
    client = app.test_client()
    assert client.get("/login").status_code == 200
    with app.app_context():
        engine = get_engine()
        assert get_engine() is engine  # one Engine per app
        assert engine.forms.forms_dir == ROOT / "forms"
        with engine.Session() as s, s.begin():  # the schema was migrated on first use
            import_directory(s, load_directory_file(WEB_USERS))
    assert login(client, "alice").status_code == 400  # CSRF protection is on by default
    assert csrf_login(client, "alice").status_code == 302
    assert client.get("/inbox").status_code == 200
    engine.sa_engine.dispose()


def test_secret_key_from_the_environment(monkeypatch, tmp_path):
    monkeypatch.setenv("APPROVALS_INSTANCE_DIR", str(tmp_path / "instance"))
    monkeypatch.setenv("SECRET_KEY", "from-env")
    assert create_app().config["SECRET_KEY"] == "from-env"
    assert not (tmp_path / "instance" / "secret_key").exists()


def test_a_request_through_the_web_on_both_databases(database_url, clock, forms_dir):
    """The whole small flow through the client, on SQLite and on PostgreSQL."""
    engine = seed(database_url, forms_dir)
    engine.clock = clock
    try:
        app = make_app(engine)
        alice, bob, gina = app.test_client(), app.test_client(), app.test_client()
        login(alice, "alice"), login(bob, "bob"), login(gina, "gina")
        response = alice.post("/start/small_approval", data={"customer": "宏达", "amount": "800"})
        inst = engine.instances()[0]
        assert response.location == f"/requests/{inst.id}"
        # the applicant is told where the request went and who has it now
        assert "已提交。 申请现在到了「经理审批」（由 " in alice.get(response.location).text
        manager = open_task(engine, inst.id, "manager_approval")
        assert bob.post(f"/tasks/{manager.id}", data={"decision": "approve"}).status_code == 302
        gm = open_task(engine, inst.id, "gm_approval")
        assert gina.post(f"/tasks/{gm.id}", data={"decision": "approve"}).status_code == 302
        page = alice.get(f"/requests/{inst.id}").text
        assert "outcome-completed" in page and page.count('class="event kind-completed"') == 2
    finally:
        engine.sa_engine.dispose()


def test_module_entry_point_exists():
    import web.__main__ as entry
    assert callable(entry.main) and os.path.basename(entry.__file__) == "__main__.py"


def test_approvals_command_has_serve_and_the_engine_commands():
    """The console script is the web's: the engine's commands plus `serve` (the engine knows no Flask)."""
    from web.cli import main
    import pytest
    with pytest.raises(SystemExit) as help_exit:
        main(["serve", "--help"])
    assert help_exit.value.code == 0
    with pytest.raises(SystemExit):
        main(["nonsense"])
