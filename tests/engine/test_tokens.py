"""Personal access tokens: made, listed and revoked by their owner (or the system), checked by sha256 look-up,
refused when revoked, expired or their user is inactive; the secret is stored nowhere."""
from __future__ import annotations

import hashlib
import json
from datetime import timedelta

import pytest
from sqlalchemy import inspect, select, text

from engine import Engine, EngineError, NotAllowed, NotFound
from engine import cli
from engine.storage.db import make_engine
from engine.storage.models import ApiToken
from engine.tokens import LAST_USED_EVERY, PREFIX
from tests.conftest import DATA, build_engine


@pytest.fixture
def eng(database_url, clock):
    base = build_engine(database_url, clock, DATA / "users.yaml")
    yield base
    base.sa_engine.dispose()


def everything_stored(eng) -> str:
    """Every row of every table, as one text."""
    rows = []
    with eng.sa_engine.connect() as conn:
        for table in inspect(conn).get_table_names():
            rows += [repr(tuple(r)) for r in conn.execute(text(f'SELECT * FROM "{table}"'))]
    return "\n".join(rows)


def test_a_token_signs_in_its_user_and_only_its_hash_is_stored(eng):
    made = eng.create_token("bob", "nightly report", days=30)
    assert made.secret.startswith(PREFIX) and len(made.secret) == len(PREFIX) + 43
    user = eng.authenticate_token(made.secret)
    assert (user.username, user.groups) == ("bob", ("cs_manager",))

    stored = everything_stored(eng)
    assert made.secret not in stored and made.secret[len(PREFIX):] not in stored
    with eng.session() as s:
        [row] = s.scalars(select(ApiToken))
        assert row.token_hash == hashlib.sha256(made.secret.encode()).hexdigest()
    assert made.token.status == "active" and made.token.created_by == "bob"

    [created] = eng.search_audit(kind="token_created")
    assert (created.chain, created.actor) == ("system", "bob")
    assert created.data == {"token": made.token.id, "user": "bob", "name": "nightly report",
                            "expires_at": made.token.expires_at.isoformat()}
    assert eng.verify_audit()[1] == []


def test_wrong_and_malformed_tokens_find_nobody(eng):
    made = eng.create_token("bob", "ci")
    assert eng.authenticate_token(made.secret[:-1] + ("A" if made.secret[-1] != "A" else "B")) is None
    for secret in ("", "bob", made.secret[len(PREFIX):], PREFIX + "x" * 200, None, 12):
        assert eng.authenticate_token(secret) is None


def test_list_shows_the_facts_never_the_secret_and_last_use_is_written_once_a_minute(eng, clock):
    first = eng.create_token("bob", "first", days=7)
    clock.advance(minutes=5)
    second = eng.create_token("bob", "second")
    eng.create_token("carol", "not bob's")
    listed = eng.list_tokens("bob")
    assert [(t.id, t.name, t.status) for t in listed] == [(second.token.id, "second", "active"),
                                                          (first.token.id, "first", "active")]
    assert listed[0].expires_at is None and listed[1].expires_at == listed[1].created_at + timedelta(days=7)
    assert all(t.last_used_at is None for t in listed)
    shown = json.dumps([t.__dict__ for t in listed], default=str)
    assert first.secret not in shown and second.secret not in shown

    used_at = clock.now
    eng.authenticate_token(second.secret)
    assert eng.list_tokens("bob")[0].last_used_at == used_at
    clock.advance(seconds=30)
    eng.authenticate_token(second.secret)
    assert eng.list_tokens("bob")[0].last_used_at == used_at  # not written again within the minute
    clock.advance(seconds=LAST_USED_EVERY.total_seconds())
    eng.authenticate_token(second.secret)
    assert eng.list_tokens("bob")[0].last_used_at == clock.now
    with pytest.raises(NotFound):
        eng.list_tokens("nobody")


def test_only_the_owner_or_the_system_revokes_and_revoking_is_audited_once(eng):
    made = eng.create_token("bob", "ci")
    with pytest.raises(NotAllowed) as refused:
        eng.revoke_token(made.token.id, "owen")  # process owners manage procedures, not people's keys
    assert refused.value.reason == "not_token_owner"
    assert eng.authenticate_token(made.secret) is not None

    revoked = eng.revoke_token(made.token.id, "bob")
    assert (revoked.status, revoked.revoked_by) == ("revoked", "bob")
    assert eng.authenticate_token(made.secret) is None
    assert eng.revoke_token(made.token.id, "bob").revoked_at == revoked.revoked_at  # again: nothing changes
    assert [e.data for e in eng.search_audit(kind="token_revoked")] == [
        {"token": made.token.id, "user": "bob", "name": "ci"}]

    other = eng.create_token("bob", "deploy script")
    assert eng.revoke_token(other.token.id, "system").revoked_by == "system"
    assert eng.authenticate_token(other.secret) is None
    with pytest.raises(NotFound, match="token 999 does not exist"):
        eng.revoke_token(999, "system")
    assert eng.verify_audit()[1] == []


def test_a_token_expires_at_its_instant(eng, clock):
    made = eng.create_token("bob", "one day", days=1)
    clock.advance(hours=23, minutes=59)
    assert eng.authenticate_token(made.secret) is not None
    clock.advance(minutes=1)
    assert eng.authenticate_token(made.secret) is None
    assert eng.list_tokens("bob")[0].status == "expired"


def test_names_lifetimes_and_makers_are_checked(eng):
    for name in ("", "   ", "x" * 101):
        with pytest.raises(EngineError) as refused:
            eng.create_token("bob", name)
        assert refused.value.reason == "token_name"
    for days in (0, -1, 366, True, "30"):
        with pytest.raises(EngineError) as refused:
            eng.create_token("bob", "ci", days=days)
        assert refused.value.reason == "token_days"
    with pytest.raises(NotAllowed) as refused:
        eng.create_token("bob", "for bob", by="alice")
    assert refused.value.reason == "not_token_owner"
    with pytest.raises(NotFound):
        eng.create_token("nobody", "ci", by="system")
    assert eng.create_token("bob", "  padded  ", by="system").token.name == "padded"
    assert eng.list_tokens("bob")[0].created_by == "system"


def test_deactivating_a_user_stops_their_tokens_a_new_password_does_not(eng):
    made = eng.create_token("bob", "ci")
    bob = {"username": "bob", "name": "鲍勃", "groups": ["cs_manager"]}
    epoch = eng.user("bob").session_epoch
    eng.import_users({"users": [{**bob, "password": "a new one"}]})
    assert eng.user("bob").session_epoch == epoch + 1  # the new password ended bob's sessions...
    assert eng.authenticate_token(made.secret).username == "bob"  # ...not his tokens
    eng.end_sessions("bob")
    assert eng.authenticate_token(made.secret).username == "bob"  # nor does signing out everywhere

    eng.import_users({"users": [{**bob, "active": False}]})
    assert eng.authenticate_token(made.secret) is None
    with pytest.raises(NotAllowed) as refused:
        eng.create_token("bob", "another", by="system")
    assert refused.value.reason == "inactive"
    eng.import_users({"users": [{**bob, "active": True}]})
    assert eng.authenticate_token(made.secret).username == "bob"  # unrevoked tokens come back with the user


def test_the_command_line_makes_lists_and_revokes_tokens(sqlite_url, clock, monkeypatch, capsys):
    build_engine(sqlite_url, clock, DATA / "users.yaml").sa_engine.dispose()
    sa_engine = make_engine(sqlite_url)
    monkeypatch.setattr(cli, "engine_from_env", lambda: Engine(sa_engine, clock=clock))

    assert cli.main(["--json", "token", "create", "bob", "--name", "nightly", "--days", "30"]) == 0
    made = json.loads(capsys.readouterr().out)
    assert made["secret"].startswith(PREFIX) and made["token"]["created_by"] == "system"
    assert cli.main(["token", "create", "carol", "--name", "ci"]) == 0
    secret_line, note = capsys.readouterr().out.splitlines()
    assert secret_line.startswith(PREFIX) and "shown only now" in note

    assert cli.main(["token", "list", "bob"]) == 0
    listing = capsys.readouterr().out
    assert listing.startswith(f"{made['token']['id']}\tnightly\tactive\t") and made["secret"] not in listing
    assert cli.main(["--json", "token", "revoke", str(made["token"]["id"])]) == 0
    assert json.loads(capsys.readouterr().out)["token"]["status"] == "revoked"
    assert cli.main(["token", "list", "bob"]) == 0 and "\tnightly\trevoked\t" in capsys.readouterr().out

    assert cli.main(["token", "revoke", "999"]) == 1
    assert capsys.readouterr().err.strip() == "error: token 999 does not exist"
    assert cli.main(["token", "create", "bob", "--name", "x", "--days", "400"]) == 1
    assert "1 to 365 days" in capsys.readouterr().err
    sa_engine.dispose()
