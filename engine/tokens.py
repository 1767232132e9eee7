"""Personal access tokens for the JSON API: made and revoked by their owner (or the operator), kept as
sha256 only, checked with one indexed look-up instead of a password hash.

A token is `apv_` followed by 32 random bytes (urlsafe base64). 256 random bits cannot be guessed, so a
fast hash is enough: the database holds nothing that signs anyone in, and checking a token costs a
sha256 and one query, not an argon2 verify. Looking a token up by its hash also needs no constant-time
comparison: the secret itself is never compared.
"""
from __future__ import annotations

import hashlib
import logging
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import bindparam, func, or_, select, update
from sqlalchemy.exc import OperationalError

from .audit import SYSTEM_CHAIN
from .directory import SYSTEM_USER
from .errors import EngineError, NotAllowed, NotFound
from .storage.models import ApiToken, Membership, User, get_row
from .views import UserView

PREFIX = "apv_"            # recognisable in logs, configuration files and secret scanners
SECRET_BYTES = 32
MAX_TOKEN_LENGTH = 100     # anything longer is not one of ours: refused before any query
MAX_NAME_LENGTH = 100
MAX_DAYS = 365             # a token lives at most a year, or until revoked when made without expiry
LAST_USED_EVERY = timedelta(minutes=1)  # "last used" is written at most this often per token

log = logging.getLogger(__name__)


def token_hash(secret: str) -> str:
    """What the database keeps of a token: the sha256 of its secret, in hex."""
    return hashlib.sha256(secret.encode("utf-8")).hexdigest()


def new_secret() -> str:
    return PREFIX + secrets.token_urlsafe(SECRET_BYTES)


@dataclass(frozen=True)
class TokenView:
    """A token as its owner sees it later: never the secret. `status` is active, expired or revoked."""

    id: int
    username: str
    name: str
    status: str
    created_at: datetime
    created_by: str
    expires_at: datetime | None
    last_used_at: datetime | None
    revoked_at: datetime | None
    revoked_by: str | None

    @classmethod
    def of(cls, row: ApiToken, username: str, now: datetime) -> TokenView:
        return cls(row.id, username, row.name, token_status(row, now), row.created_at, row.created_by,
                   row.expires_at, row.last_used_at, row.revoked_at, row.revoked_by)


@dataclass(frozen=True)
class NewToken:
    """A token just made, with its secret: the only time the secret is seen."""

    token: TokenView
    secret: str


_SEP = "\x1f"
_TOKEN_USER = (
    select(ApiToken.id, ApiToken.expires_at, ApiToken.revoked_at, ApiToken.last_used_at, User.username, User.name,
           User.email, User.active, User.session_epoch,
           select(func.aggregate_strings(Membership.group_id, _SEP)).where(Membership.user_id == User.id)
           .scalar_subquery().label("groups"))
    .join(User, User.id == ApiToken.user_id).where(ApiToken.token_hash == bindparam("digest")))


def token_status(row: ApiToken, now: datetime) -> str:
    if row.revoked_at is not None:
        return "revoked"
    if row.expires_at is not None and row.expires_at <= now:
        return "expired"
    return "active"


def _checked_name(name: str | None) -> str:
    name = (name or "").strip()
    if not name or len(name) > MAX_NAME_LENGTH:
        raise EngineError(f"a token needs a name of 1 to {MAX_NAME_LENGTH} characters", "token_name")
    return name


def _checked_days(days: int | None) -> int | None:
    if days is None:
        return None
    if isinstance(days, bool) or not isinstance(days, int) or not 1 <= days <= MAX_DAYS:
        raise EngineError(f"a token expires after 1 to {MAX_DAYS} days, or never", "token_days")
    return days


class TokenVerbs:
    """Mixed into Engine; relies on its `_unit`, `session`, `Session` and `now`."""

    def create_token(self, username: str, name: str, days: int | None = None, by: str | None = None) -> NewToken:
        """Make a token for `username`, named `name`, expiring after `days` (None: until revoked). `by` is the
        user themself or the system (the operator's command line). The secret is returned once."""
        by = by or username
        name, days = _checked_name(name), _checked_days(days)
        if by not in (username, SYSTEM_USER):
            raise NotAllowed(f"{by} may not make tokens for {username}", "not_token_owner")

        def work(unit) -> NewToken:
            user = unit.session.scalars(select(User).where(User.username == username)).first()
            if user is None:
                raise NotFound(f"user {username} does not exist")
            if not user.active:
                raise NotAllowed(f"{username} is inactive", "inactive")
            secret = new_secret()
            row = ApiToken(user_id=user.id, name=name, token_hash=token_hash(secret), created_at=unit.now,
                           created_by=by, expires_at=unit.now + timedelta(days=days) if days else None)
            unit.session.add(row)
            unit.session.flush()
            unit.audit.append(kind="token_created", actor=by, at=unit.now, chain=SYSTEM_CHAIN, data={
                "token": row.id, "user": username, "name": name,
                "expires_at": row.expires_at.isoformat() if row.expires_at else None})
            return NewToken(TokenView.of(row, username, unit.now), secret)
        return self._unit(by, work)

    def list_tokens(self, username: str) -> list[TokenView]:
        """The user's tokens, newest first, revoked and expired ones included."""
        now = self.now()
        with self.session() as s:
            user = s.scalars(select(User).where(User.username == username)).first()
            if user is None:
                raise NotFound(f"user {username} does not exist")
            rows = s.scalars(select(ApiToken).where(ApiToken.user_id == user.id).order_by(ApiToken.id.desc()))
            return [TokenView.of(row, username, now) for row in rows]

    def revoke_token(self, token_id: int, by: str) -> TokenView:
        """Revoke a token at once; its owner or the system may. Revoking a revoked token changes nothing."""
        def work(unit) -> TokenView:
            row = get_row(unit.session, ApiToken, token_id)
            owner = row.user.username
            if by not in (owner, SYSTEM_USER):
                raise NotAllowed(f"{by} may not revoke token {token_id} of {owner}", "not_token_owner")
            if row.revoked_at is None:
                row.revoked_at, row.revoked_by = unit.now, by
                unit.audit.append(kind="token_revoked", actor=by, at=unit.now, chain=SYSTEM_CHAIN,
                                  data={"token": row.id, "user": owner, "name": row.name})
            return TokenView.of(row, owner, unit.now)
        return self._unit(by, work)

    def authenticate_token(self, secret: str) -> UserView | None:
        """The active user a live token belongs to, else None (unknown, revoked or expired token)."""
        if not isinstance(secret, str) or not secret.startswith(PREFIX) or len(secret) > MAX_TOKEN_LENGTH:
            return None
        digest, now = token_hash(secret), self.now()
        with self.sa_engine.connect() as conn:  # one statement: token, user and groups (every API call pays it)
            found = conn.execute(_TOKEN_USER, {"digest": digest}).first()
        if found is None or token_status(found, now) != "active" or not found.active:
            return None
        groups = tuple(sorted(found.groups.split(_SEP))) if found.groups else ()
        view = UserView(found.username, found.name, found.email, found.active, groups, found.session_epoch or 0)
        stale = found.last_used_at is None or now - found.last_used_at >= LAST_USED_EVERY
        token_id = found.id
        if stale:
            self._note_token_use(token_id, now)
        return view

    def _note_token_use(self, token_id: int, now: datetime) -> None:
        # At most one write a minute per token, and only when no other request wrote it first; a busy
        # database costs the "last used" time, never the request.
        try:
            with self.Session() as s, s.begin():
                s.execute(update(ApiToken).where(
                    ApiToken.id == token_id,
                    or_(ApiToken.last_used_at.is_(None), ApiToken.last_used_at <= now - LAST_USED_EVERY))
                    .values(last_used_at=now))
        except OperationalError as exc:
            log.warning("token %s: last use not recorded: %s", token_id, str(exc).splitlines()[0])
