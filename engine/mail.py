"""Mail: messages are queued in the outbox inside the unit of work and sent later by the worker.

Queueing with the state change means a rolled-back step sends nothing, and a mail server that is
down delays mail without failing anyone's approval. Recipients are usernames or `group:<id>`;
they are resolved to addresses when the message is sent.
"""
from __future__ import annotations

import smtplib
from dataclasses import dataclass
from datetime import datetime
from email.message import EmailMessage

from sqlalchemy import insert, select
from sqlalchemy.orm import Session

from .preferences import Preferences, wants_mail
from .runtime.assignment import holders
from .storage.models import HumanTask, Membership, NoticePreference, OutboxMessage, User

MAX_ATTEMPTS = 5


@dataclass(frozen=True)
class SmtpSettings:
    host: str
    port: int = 25
    sender: str = "approvals@localhost"
    base_url: str = ""


def message(recipient: str, subject: str, body: str, now: datetime, instance_id: int | None = None,
            kind: str | None = None) -> dict:
    """An outbox row (the unit of work inserts its messages in one statement); `kind`: the event, which the
    recipients' preferences may keep out of their mail."""
    return dict(instance_id=instance_id, recipient=recipient, subject=subject[:300], body=body, created_at=now,
                attempts=0, channel="mail", kind=kind)


def task_opened(row: HumanTask, now: datetime) -> list[dict]:
    """Tell the people a new task is offered to (its assignee, or its candidate users and groups)."""
    return [message(recipient, f"新待办：{row.title}",
                    f"“{row.title}”等待您处理（流程实例 {row.instance_id}：{{task_url}}）。", now, row.instance_id,
                    "task")
            for recipient in holders(row)]


def write(session: Session, messages: list[dict]) -> None:
    if messages:
        session.execute(insert(OutboxMessage), messages)


def _addresses(session: Session, recipient: str, kind: str | None) -> list[str]:
    """The addresses of the active people a message reaches who want this event by mail."""
    stmt = (select(User.email, NoticePreference.mail, NoticePreference.events)
            .outerjoin(NoticePreference, NoticePreference.username == User.username).where(User.active.is_(True)))
    if recipient.startswith("group:"):
        stmt = stmt.join(Membership).where(Membership.group_id == recipient[len("group:"):])
    else:
        stmt = stmt.where(User.username == recipient)
    return sorted({email for email, on, events in session.execute(stmt)
                   if email and (on is None or wants_mail(Preferences("", on, tuple(events)), kind))})


def deliver(session: Session, settings: SmtpSettings, now: datetime, limit: int = 100) -> int:
    """Send queued messages; returns how many were sent. The caller commits (marks survive a crash)."""
    pending = list(session.scalars(select(OutboxMessage).where(OutboxMessage.channel == "mail",
                                                               OutboxMessage.sent_at.is_(None),
                                                               OutboxMessage.attempts < MAX_ATTEMPTS)
                                   .order_by(OutboxMessage.id).limit(limit)))
    if not pending:
        return 0
    sent = 0
    with smtplib.SMTP(settings.host, settings.port, timeout=30) as smtp:
        for message in pending:
            message.attempts += 1
            to = _addresses(session, message.recipient, message.kind)
            if not to:
                message.sent_at, message.last_error = now, "no address for recipient (or no mail wanted)"
                continue
            mail = EmailMessage()
            mail["From"], mail["To"], mail["Subject"] = settings.sender, ", ".join(to), message.subject
            link = f"{settings.base_url}/instances/{message.instance_id}" if message.instance_id else ""
            mail.set_content(message.body.replace("{task_url}", link or "-"))
            try:
                smtp.send_message(mail)
            except smtplib.SMTPException as exc:
                message.last_error = f"{exc.__class__.__name__}: {exc}"
                continue
            message.sent_at, message.last_error = now, None
            sent += 1
    return sent
