"""The rules of 加签 and rework: what a task waiting on its side tasks waits for, who a step allows to be
added (`addSigners`), and how a return from a task comes back (`returnMode`)."""
from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select

from ..errors import Conflict, NotFound
from ..runtime.projection import task_properties
from ..runtime.switches import is_on
from ..storage.models import Group, Membership, User

HELD = {"consult": ("waiting_opinions", "waits for the opinions it asked for"),
        "countersign": ("waiting_signers", "is decided and waits for the added signers' approval"),
        "rework": ("waiting_rework", "was sent back for rework and waits for it")}


def held_reason(row) -> str | None:
    """The reason code of a diagram task waiting on its side tasks (waiting_opinions, ...), else None."""
    return HELD[row.held][0] if row.held else None


def require_free(row) -> None:
    """Conflict when a diagram task waits on its side tasks, saying for what."""
    if row.held:
        reason, words = HELD[row.held]
        raise Conflict(f"task {row.id} {words}", reason)


@dataclass(frozen=True)
class SignerChoice:
    """What the task page offers for 加签: whether it may ask for opinions at all (`on`), and whom the step
    allows (`allowed`; None: anyone may be asked for an opinion and nobody added as an approver after)."""

    on: bool = False
    allowed: tuple[str, ...] | None = None


def signer_choice(start_spec, task_spec) -> SignerChoice:
    if not is_on("addSigners", start_spec, task_spec):
        return SignerChoice()
    allowed = allowed_signers(task_spec)
    return SignerChoice(True, None if allowed is None else tuple(allowed))


def return_mode(task_spec) -> str:
    """`back_to_me`: a return comes straight back to the returning task; otherwise the request flows on."""
    value = str(task_properties(task_spec).get("returnMode", "")).strip().lower()
    return "back_to_me" if value == "back_to_me" else "flow_on"


def allowed_signers(task_spec) -> list[str] | None:
    """The people and groups (`group:<id>`) the task's `addSigners` property lists; None when it lists none."""
    value = str(task_properties(task_spec).get("addSigners", "")).strip()
    if not value or value.lower() == "off":
        return None
    return [v.strip() for v in value.split(",") if v.strip()]


def known_people(session, wanted: list[str]) -> None:
    users = {w for w in wanted if not w.startswith("group:")}
    groups = {w[len("group:"):] for w in wanted if w.startswith("group:")}
    found_users = set(session.scalars(select(User.username).where(User.username.in_(users), User.active.is_(True))))
    found_groups = set(session.scalars(select(Group.id).where(Group.id.in_(groups))))
    unknown = sorted((users - found_users) | {f"group:{g}" for g in groups - found_groups})
    if unknown:
        raise NotFound(f"no such user or group: {', '.join(unknown)}")


def permitted(session, entry: str, allowed: list[str]) -> bool:
    """A listed person or group, or a member of a listed group."""
    if entry in allowed:
        return True
    if entry.startswith("group:"):
        return False
    listed = [a[len("group:"):] for a in allowed if a.startswith("group:")]
    return bool(listed) and session.scalar(select(Membership.group_id).join(User).where(
        User.username == entry, Membership.group_id.in_(listed)).limit(1)) is not None
