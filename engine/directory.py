"""Users, groups and memberships: import from YAML, password hashes (argon2), lookups."""
from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml
from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import select
from sqlalchemy.orm import Session

from .errors import EngineError
from .storage.models import Group, Membership, User

_hasher = PasswordHasher()
SYSTEM_USER = "system"


def hash_password(password: str) -> str:
    return _hasher.hash(password)


_decoy: dict[str, str] = {}


def check_password(password_hash: str | None, password: str) -> bool:
    """True when the password matches. Without a hash (unknown user, no password) a decoy hash is verified
    anyway, so a sign-in takes as long for a name that does not exist as for one that does."""
    try:
        if not password_hash:
            _hasher.verify(_decoy_hash(), password + "\0")
            return False
        return _hasher.verify(password_hash, password)
    except (VerificationError, InvalidHashError):
        return False


def _decoy_hash() -> str:
    # made with the hasher in use (its parameters set the cost), once per hasher
    key = repr(_hasher)
    if key not in _decoy:
        _decoy[key] = _hasher.hash("decoy password, never valid")
    return _decoy[key]


def groups_of(session: Session, username: str) -> set[str]:
    return set(session.scalars(select(Membership.group_id).join(User).where(User.username == username)))


def load_directory_file(path: Path) -> dict[str, Any]:
    try:
        document = yaml.safe_load(Path(path).read_text(encoding="utf-8")) or {}
    except (OSError, yaml.YAMLError) as exc:
        raise EngineError(f"cannot read {path}: {exc}") from exc
    if not isinstance(document, dict):
        raise EngineError(f"{path}: expected a mapping with 'groups' and 'users'")
    return document


def _oversight(group: Group, entry: dict[str, Any], known_groups: set[str],
               changes: list[dict[str, Any]] | None) -> None:
    """A group's `oversees` list (the groups whose open work its members see on the team page)."""
    if "oversees" not in entry:
        return
    wanted = entry.get("oversees") or []
    if not isinstance(wanted, list) or not all(isinstance(g, str) for g in wanted):
        raise EngineError(f"group {group.id}: oversees must be a list of group ids")
    unknown = set(wanted) - known_groups
    if unknown:
        raise EngineError(f"group {group.id}: oversees unknown groups {sorted(unknown)}")
    before = set(group.oversees or [])
    group.oversees = sorted(set(wanted))
    if changes is not None and before != set(wanted):
        changes.append({"group": group.id, "oversees_added": sorted(set(wanted) - before),
                        "oversees_removed": sorted(before - set(wanted))})


def import_directory(session: Session, document: dict[str, Any],
                     changes: list[dict[str, Any]] | None = None) -> tuple[int, int]:
    """Create or update groups and users; re-importing updates, never duplicates. Returns counts; each
    user whose groups, active flag or password changed is added to `changes` (for the audit)."""
    groups = document.get("groups") or []
    users = document.get("users") or []
    for entry in groups:
        if not entry.get("id"):
            raise EngineError("every group needs an id")
        group = session.get(Group, entry["id"]) or Group(id=entry["id"])
        group.name = entry.get("name") or entry["id"]
        session.add(group)
    session.flush()
    known_groups = set(session.scalars(select(Group.id)))
    for entry in groups:
        _oversight(session.get(Group, entry["id"]), entry, known_groups, changes)
    for entry in users:
        username = entry.get("username")
        if not username:
            raise EngineError("every user needs a username")
        unknown = set(entry.get("groups") or []) - known_groups
        if unknown:
            raise EngineError(f"user {username}: unknown groups {sorted(unknown)}")
        user = session.scalars(select(User).where(User.username == username)).first()
        if user is None:
            user = User(username=username, name=entry.get("name") or username)
            session.add(user)
        active_before, epoch_before = user.active, user.session_epoch
        user.name = entry.get("name") or user.name
        user.email = entry.get("email", user.email)
        user.active = bool(entry.get("active", True))
        password = str(entry["password"]) if entry.get("password") else None
        if password and (user.password_hash is None or not check_password(user.password_hash, password)):
            user.password_hash = hash_password(password)
            user.session_epoch = (user.session_epoch or 0) + 1  # a new password ends the old sessions
        wanted = set(entry.get("groups") or [])
        before = {m.group_id for m in user.memberships}
        user.memberships = [m for m in user.memberships if m.group_id in wanted]
        have = {m.group_id for m in user.memberships}
        user.memberships += [Membership(group_id=g) for g in sorted(wanted - have)]
        password_changed = epoch_before != user.session_epoch
        if changes is not None and (wanted != before or active_before != user.active or password_changed):
            changes.append({"user": username, "added": sorted(wanted - before), "removed": sorted(before - wanted),
                            "active": user.active, "password_changed": password_changed})
    session.flush()
    return len(groups), len(users)
