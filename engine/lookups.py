"""Registers that form fields pick from (pick, don't type): find entries by name or code, and add a new one
from the picker. The registers themselves belong to the extensions (`Extension.lookups`)."""
from __future__ import annotations

from sqlalchemy import select

from .errors import EngineError, NotAllowed, NotFound
from .extensions import LookupItem, LookupSource
from .runtime.assignment import READ_ONLY_GROUP, require_actor
from .storage.models import User

MAX_TEXT = 100
MAX_LIMIT = 50


def _active(session, user: str) -> None:
    active = session.scalar(select(User.active).where(User.username == user))
    if active is None:
        raise NotFound(f"user {user} does not exist")
    if not active:
        raise NotAllowed(f"{user} is inactive", "inactive")


def _text(text: str | None) -> str:
    text = " ".join((text or "").split())
    if len(text) > MAX_TEXT:
        raise EngineError(f"search text of at most {MAX_TEXT} characters, not {len(text)}", "lookup_text")
    return text


class LookupVerbs:
    """Mixed into Engine; relies on its `extensions`, `session`, `_groups` and `run_verb`."""

    def lookup_source(self, name: str) -> LookupSource:
        """The register called `name` (NotFound, reason unknown_lookup, when no extension has it)."""
        for ext in self.extensions:
            if name in ext.lookups:
                return ext.lookups[name]
        raise NotFound(f"no lookup named {name!r}", "unknown_lookup")

    def lookup(self, name: str, user: str, text: str | None, limit: int = 10) -> list[LookupItem]:
        """Entries of the register whose name or code holds `text` (every signed-in, active user may look;
        an empty text lists the first entries)."""
        source = self.lookup_source(name)
        text = _text(text)
        if not 1 <= limit <= MAX_LIMIT:
            raise EngineError(f"limit must be 1 to {MAX_LIMIT}, not {limit}", "lookup_limit")
        with self.session() as s:
            _active(s, user)
            return source.search(s, text, limit, self.now())

    def may_register(self, name: str, user: str) -> bool:
        """Whether the user may add an entry to the register from a picker."""
        source = self.lookup_source(name)
        if source.register is None:
            return False
        with self.session() as s:
            groups = self._groups(s, user)
        return bool(groups & set(source.registrars)) and READ_ONLY_GROUP not in groups

    def register_lookup(self, name: str, user: str, label: str | None) -> LookupItem:
        """Add an entry to the register (its registrars only; an entry already there is returned as it is)."""
        source = self.lookup_source(name)
        label = _text(label)
        if not label:
            raise EngineError("a new entry needs a name", "lookup_label")
        if source.register is None:
            raise NotAllowed(f"nothing is added to {name} from a picker", "lookup_closed")

        def work(ctx) -> LookupItem:  # checked in the unit that writes, so a change of groups cannot slip between
            _active(ctx.session, user)
            groups = self._groups(ctx.session, user)
            require_actor(groups, user)
            if not groups & set(source.registrars):
                raise NotAllowed(f"{user} may not add to {name}", "not_registrar")
            return source.register(ctx, label)
        return self.run_verb("register_lookup", user, work, {"lookup": name, "label": label})
