"""Business records: customer plant tours (客户参观) and their permit numbers.

Source: seed 000, 企业客户关系管理制度5 ㈠客户参观接待管理制度 第一条–第八条. The BPMN process
`tour_approval` writes these rows through the service-task operators below; the operators run
inside the engine's unit of work (`ctx.session`), so a failed step leaves no partial record.
"""
from __future__ import annotations

from datetime import datetime, timedelta, timezone
from typing import Any

from sqlalchemy import Boolean, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from engine.extensions import EngineError, OperatorContext

from ..base import Base, operator, when
from ..numbering import next_value

TOUR_TYPES = ("key", "group", "ordinary", "temporary")
TOUR_STATUSES = ("applied", "returned", "approved", "refused", "expired", "done", "not_held", "withdrawn")
PHOTO_STATUSES = ("none", "requested", "consented", "refused")
PERMIT_PREFIX = "CG"
CHINA_TZ = timezone(timedelta(hours=8))


class Tour(Base):
    """One 《客户参观申请书》 and what became of it."""

    __tablename__ = "tour"
    __table_args__ = (UniqueConstraint("permit_no", name="uq_tour_permit_no"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    instance_id: Mapped[int | None] = mapped_column(Integer, index=True)
    customer: Mapped[str] = mapped_column(String(200))
    contact_person: Mapped[str] = mapped_column(String(100))
    contact_phone: Mapped[str] = mapped_column(String(40))
    tour_type: Mapped[str] = mapped_column(String(20), index=True)
    tour_start: Mapped[datetime]
    visitors: Mapped[int] = mapped_column(Integer)
    purpose: Mapped[str] = mapped_column(String(500), default="")
    areas: Mapped[list[Any]] = mapped_column(default=list)
    status: Mapped[str] = mapped_column(String(20), index=True)
    status_reason: Mapped[str] = mapped_column(String(500), default="")
    late: Mapped[bool] = mapped_column(Boolean, default=False)
    special_case: Mapped[bool] = mapped_column(Boolean, default=False)
    special_reason: Mapped[str] = mapped_column(String(500), default="")
    photo_status: Mapped[str] = mapped_column(String(20), default="none")
    photo_reason: Mapped[str] = mapped_column(String(500), default="")
    photographer: Mapped[str] = mapped_column(String(100), default="")
    # 第六条5: publishing the tour's photographs needs the CS department's consent (none / consented / refused)
    publication_status: Mapped[str] = mapped_column(String(20), default="none", server_default="none")
    publication: Mapped[dict[str, Any] | None] = mapped_column()
    permit_no: Mapped[str | None] = mapped_column(String(20))
    approvers: Mapped[list[Any]] = mapped_column(default=list)
    arrangement: Mapped[dict[str, Any]] = mapped_column(default=dict)
    badges_issued: Mapped[int | None] = mapped_column(Integer)
    took_place: Mapped[bool | None] = mapped_column(Boolean)
    badges_returned: Mapped[bool | None] = mapped_column(Boolean)
    notes: Mapped[str] = mapped_column(Text, default="")
    created_by: Mapped[str] = mapped_column(String(80))
    created_at: Mapped[datetime]
    updated_at: Mapped[datetime]
    approved_at: Mapped[datetime | None]
    arrived_at: Mapped[datetime | None]
    closed_at: Mapped[datetime | None]


def _tour(ctx: OperatorContext, tour_id: Any) -> Tour:
    tour = ctx.session.get(Tour, int(tour_id)) if tour_id is not None else None
    if tour is None:
        raise EngineError(f"tour {tour_id!r} not found")
    return tour


def _touch(ctx: OperatorContext, tour: Tour, status: str | None = None, reason: str | None = None) -> None:
    if status is not None:
        if status not in TOUR_STATUSES:
            raise EngineError(f"unknown tour status {status!r}")
        tour.status = status
        if status in ("refused", "expired", "withdrawn", "done", "not_held"):
            tour.closed_at = ctx.now
    if reason is not None:
        tour.status_reason = str(reason)[:500]
    tour.updated_at = ctx.now


def _view(tour: Tour) -> dict[str, Any]:
    return {"tour_id": tour.id, "status": tour.status, "late": tour.late, "permit_no": tour.permit_no,
            "photo_status": tour.photo_status}


@operator("register_tour")
def register_tour(ctx: OperatorContext, customer: str, contact_person: str, contact_phone: str, tour_type: str,
                  tour_start: str, visitors: int, tour_id: int | None = None, purpose: str = "",
                  areas: list[str] | None = None, photo_status: str = "none", photo_reason: str = "",
                  special_case: bool = False, special_reason: str = "", late: bool = False) -> dict[str, Any]:
    """Create the tour record (status applied), or refresh it after the applicant revised it."""
    if tour_type not in TOUR_TYPES:
        raise EngineError(f"unknown tour type {tour_type!r}")
    if photo_status not in PHOTO_STATUSES:
        raise EngineError(f"unknown photography status {photo_status!r}")
    if tour_id is None:
        tour = Tour(instance_id=ctx.instance_id, created_by=ctx.actor, created_at=ctx.now, approvers=[],
                    arrangement={}, notes="")
        ctx.session.add(tour)
    else:
        tour = _tour(ctx, tour_id)
    tour.customer = customer
    tour.contact_person = contact_person
    tour.contact_phone = contact_phone
    tour.tour_type = tour_type
    tour.tour_start = when(tour_start)
    tour.visitors = int(visitors)
    tour.purpose = purpose or ""
    tour.areas = list(areas or [])
    tour.photo_status = photo_status
    tour.photo_reason = photo_reason or ""
    tour.special_case = bool(special_case)
    tour.special_reason = special_reason or ""
    tour.late = bool(late)
    _touch(ctx, tour, "applied", "")
    ctx.session.flush()
    return _view(tour)


@operator("set_tour_status")
def set_tour_status(ctx: OperatorContext, tour_id: int, status: str, reason: str = "") -> dict[str, Any]:
    """Returned, withdrawn or expired: the status and why."""
    tour = _tour(ctx, tour_id)
    _touch(ctx, tour, status, reason)
    return _view(tour)


@operator("record_tour_decision")
def record_tour_decision(ctx: OperatorContext, tour_id: int, role: str, decision: str, comment: str = "",
                         arrangement: dict[str, Any] | None = None) -> dict[str, Any]:
    """Append one approver's decision; a rejection refuses the tour."""
    if decision not in ("approve", "reject"):
        raise EngineError(f"unknown decision {decision!r}")
    tour = _tour(ctx, tour_id)
    tour.approvers = [*(tour.approvers or []), {"role": role, "user": ctx.actor, "decision": decision,
                                                "comment": comment or "", "at": ctx.now.isoformat()}]
    if arrangement:
        tour.arrangement = {**(tour.arrangement or {}), **{k: v for k, v in arrangement.items() if v}}
    if decision == "reject":
        _touch(ctx, tour, "refused", comment or "")
    else:
        _touch(ctx, tour)
    return _view(tour)


@operator("set_tour_photography")
def set_tour_photography(ctx: OperatorContext, tour_id: int, status: str, reason: str = "",
                         photographer: str = "") -> dict[str, Any]:
    """The photography request's outcome (第六条): consented with a photographer, or refused with a reason."""
    if status not in PHOTO_STATUSES:
        raise EngineError(f"unknown photography status {status!r}")
    if status == "consented" and not photographer:
        raise EngineError("a consented photography request needs a designated photographer")
    tour = _tour(ctx, tour_id)
    tour.photo_status = status
    tour.photo_reason = reason or ""
    tour.photographer = photographer or ""
    _touch(ctx, tour)
    return _view(tour)


@operator("issue_tour_permit")
def issue_tour_permit(ctx: OperatorContext, tour_id: int) -> dict[str, Any]:
    """Approve the tour and give it its permit number CG-<year>-<4 digits> (第五条 许可编号).

    Idempotent for one tour; numbers come from the counter table, so they are never reused."""
    tour = _tour(ctx, tour_id)
    if tour.permit_no is None:
        year = ctx.now.astimezone(CHINA_TZ).year
        value = next_value(ctx.session, PERMIT_PREFIX, year)
        tour.permit_no = f"{PERMIT_PREFIX}-{year}-{value:04d}"
        tour.approved_at = ctx.now
    _touch(ctx, tour, "approved", "")
    ctx.session.flush()
    return {"tour_id": tour.id, "permit_no": tour.permit_no}


@operator("record_tour_arrival")
def record_tour_arrival(ctx: OperatorContext, tour_id: int, arrived: bool, badges_issued: int = 0,
                        note: str = "") -> dict[str, Any]:
    """The gate checked the permit and handed out the visitor badges (客户参观胸卡)."""
    tour = _tour(ctx, tour_id)
    if arrived:
        tour.arrived_at = ctx.now
        tour.badges_issued = int(badges_issued or 0)
    if note:
        tour.notes = (tour.notes + "\n" if tour.notes else "") + f"门卫：{note}"
    _touch(ctx, tour)
    return _view(tour)


@operator("record_tour_done")
def record_tour_done(ctx: OperatorContext, tour_id: int, took_place: bool, badges_returned: bool = False,
                     notes: str = "") -> dict[str, Any]:
    """The host's record after the tour: did it take place, were the badges returned, notes."""
    tour = _tour(ctx, tour_id)
    tour.took_place = bool(took_place)
    tour.badges_returned = bool(badges_returned)
    if notes:
        tour.notes = (tour.notes + "\n" if tour.notes else "") + str(notes)
    _touch(ctx, tour, "done" if took_place else "not_held")
    return _view(tour)


PUBLICATION_STATUSES = ("consented", "refused")


@operator("record_photo_publication")
def record_photo_publication(ctx: OperatorContext, tour_id: int, status: str, medium: str, purpose: str,
                             requested_by: str, comment: str = "") -> dict[str, Any]:
    """The CS department's answer to publishing the tour's photographs (第六条5: 不得擅自公开刊登).

    Consent is only possible for photographs taken with the GM's consent (第六条1–3); the record keeps
    where and why they would be published, who asked, who decided and when."""
    if status not in PUBLICATION_STATUSES:
        raise EngineError(f"unknown publication status {status!r}")
    tour = _tour(ctx, tour_id)
    if status == "consented" and tour.photo_status != "consented":
        raise EngineError(f"tour {tour.id} has no photographs taken with consent; nothing may be published")
    tour.publication_status = status
    tour.publication = {"medium": medium, "purpose": purpose, "requested_by": requested_by,
                        "decided_by": ctx.actor, "decided_at": ctx.now.isoformat(), "comment": comment or ""}
    _touch(ctx, tour)
    return {"tour_id": tour.id, "publication_status": status}
