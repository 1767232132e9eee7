"""SQLAlchemy 2 models: definitions, instances, the inbox projection, audit, the directory, API tokens."""
from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import (JSON, BigInteger, Boolean, Date, DateTime, ForeignKey, Index, Integer, String, Text,
                        UniqueConstraint, text, true)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship
from sqlalchemy.types import TypeDecorator


class UTCDateTime(TypeDecorator):
    """Timezone-aware UTC datetimes on every backend (SQLite keeps no zone)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value, dialect):
        from ..clock import as_utc
        return None if value is None else as_utc(value)

    def process_result_value(self, value, dialect):
        from ..clock import as_utc
        return None if value is None else as_utc(value)


class Base(DeclarativeBase):
    type_annotation_map = {datetime: UTCDateTime, dict[str, Any]: JSON, list[Any]: JSON}


class User(Base):
    __tablename__ = "app_user"

    id: Mapped[int] = mapped_column(primary_key=True)
    username: Mapped[str] = mapped_column(String(80), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    email: Mapped[str | None] = mapped_column(String(200))
    password_hash: Mapped[str | None] = mapped_column(String(200))
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    # bumped by signing out and by a new password: sessions made before are no longer accepted
    session_epoch: Mapped[int] = mapped_column(Integer, default=0)
    memberships: Mapped[list[Membership]] = relationship(back_populates="user", cascade="all, delete-orphan")


class Group(Base):
    __tablename__ = "app_group"

    id: Mapped[str] = mapped_column(String(80), primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    # the groups whose open work this group's members oversee (a manager's department): the team view
    oversees: Mapped[list[Any] | None] = mapped_column(JSON)


class Membership(Base):
    __tablename__ = "membership"

    user_id: Mapped[int] = mapped_column(ForeignKey("app_user.id", ondelete="CASCADE"), primary_key=True)
    group_id: Mapped[str] = mapped_column(ForeignKey("app_group.id", ondelete="CASCADE"), primary_key=True)
    user: Mapped[User] = relationship(back_populates="memberships")


class ProcessDefinition(Base):
    """One immutable deployed version of one BPMN process or DMN decision file."""

    __tablename__ = "process_definition"
    __table_args__ = (UniqueConstraint("process_id", "version"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    process_id: Mapped[str] = mapped_column(String(200), index=True)
    kind: Mapped[str] = mapped_column(String(10), default="bpmn")  # bpmn | dmn
    name: Mapped[str] = mapped_column(String(300))
    version: Mapped[int] = mapped_column(Integer)
    filename: Mapped[str] = mapped_column(String(300))
    xml: Mapped[str] = mapped_column(Text)
    sha256: Mapped[str] = mapped_column(String(64))
    deployed_by: Mapped[str] = mapped_column(String(80))
    deployed_at: Mapped[datetime]


class ProcessDraft(Base):
    """A process owner's unsaved work on a diagram: kept until deployed or discarded."""

    __tablename__ = "process_draft"

    id: Mapped[int] = mapped_column(primary_key=True)
    process_id: Mapped[str] = mapped_column(String(200), index=True)
    filename: Mapped[str] = mapped_column(String(300))
    xml: Mapped[str] = mapped_column(Text)
    base_version: Mapped[int | None] = mapped_column(Integer)
    saved_by: Mapped[str] = mapped_column(String(80))
    saved_at: Mapped[datetime]
    name: Mapped[str] = mapped_column(String(100), default="", server_default="")
    revision: Mapped[int] = mapped_column(Integer, default=1, server_default="1")  # bumped by every save


class ProcessInstance(Base):
    """A running or finished instance; its SpiffWorkflow state references the definition by id."""

    __tablename__ = "process_instance"
    __table_args__ = (Index("ix_instance_timer", "status", "next_timer_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    definition_id: Mapped[int] = mapped_column(ForeignKey("process_definition.id"), index=True)
    definition_version: Mapped[int] = mapped_column(Integer)
    dependency_ids: Mapped[list[Any]] = mapped_column(default=list)
    process_id: Mapped[str] = mapped_column(String(200), index=True)
    title: Mapped[str] = mapped_column(String(300), default="")
    state: Mapped[str] = mapped_column(Text)
    serializer_version: Mapped[str] = mapped_column(String(40))
    status: Mapped[str] = mapped_column(String(20), index=True)  # running | waiting | error | completed | cancelled
    version: Mapped[int] = mapped_column(Integer, nullable=False)
    next_timer_at: Mapped[datetime | None]
    started_by: Mapped[str] = mapped_column(String(80), index=True)
    started_at: Mapped[datetime]
    ended_at: Mapped[datetime | None]
    error: Mapped[str | None] = mapped_column(Text)
    error_element: Mapped[str | None] = mapped_column(String(200))
    outcome: Mapped[str | None] = mapped_column(String(40))         # see engine/runtime/outcome.py
    outcome_label: Mapped[str | None] = mapped_column(String(200))  # the end event's name
    # head of this instance's audit chain, kept on the (locked) row so appending needs no query
    audit_seq: Mapped[int] = mapped_column(Integer, default=0)
    audit_hash: Mapped[str | None] = mapped_column(String(64))
    search_text: Mapped[str | None] = mapped_column(Text)  # what lists find it by (engine/search.py)

    __mapper_args__ = {"version_id_col": version}


class HumanTask(Base):
    """The inbox projection: one row per user task that is or was READY."""

    __tablename__ = "human_task"
    __table_args__ = (Index("ix_human_task_assignee_status", "assignee", "status"),
                      Index("ix_human_task_side_of", "side_of", sqlite_where=text("side_of IS NOT NULL"),
                            postgresql_where=text("side_of IS NOT NULL")))

    id: Mapped[int] = mapped_column(primary_key=True)
    instance_id: Mapped[int] = mapped_column(ForeignKey("process_instance.id", ondelete="CASCADE"), index=True)
    task_guid: Mapped[str] = mapped_column(String(36), unique=True)
    bpmn_id: Mapped[str] = mapped_column(String(200))
    title: Mapped[str] = mapped_column(String(300))
    process_id: Mapped[str] = mapped_column(String(200), index=True)
    lane: Mapped[str | None] = mapped_column(String(200))
    form: Mapped[str | None] = mapped_column(String(300))
    ui_form: Mapped[str | None] = mapped_column(String(300))
    assignee: Mapped[str | None] = mapped_column(String(80))
    status: Mapped[str] = mapped_column(String(20), index=True)  # open | completed | cancelled
    created_at: Mapped[datetime]
    due_at: Mapped[datetime | None]
    completed_by: Mapped[str | None] = mapped_column(String(80), index=True)
    completed_at: Mapped[datetime | None]
    # the people away (out of office) whose deputies this task went to instead, comma-separated
    delegated_from: Mapped[str | None] = mapped_column(String(200))
    # a side task (加签 consult | countersign, rework after a return) waits on the diagram task `side_of`
    kind: Mapped[str | None] = mapped_column(String(20))
    side_of: Mapped[int | None] = mapped_column(Integer)
    # a diagram task waiting on its side tasks: consult | countersign | rework (engine/staples/side_tasks.py)
    held: Mapped[str | None] = mapped_column(String(20))

    candidates: Mapped[list[TaskCandidate]] = relationship(cascade="all, delete-orphan")
    instance: Mapped[ProcessInstance] = relationship()


class TaskCandidate(Base):
    """Who may act on an open task: a group or a single user. `is_open` follows the task's status, so the
    inbox reads the open candidates of the user and their groups only (partial indexes), never history."""

    __tablename__ = "task_candidate"
    __table_args__ = (
        Index("ix_candidate_open_group", "group_id", "human_task_id", sqlite_where=text("is_open = 1"),
              postgresql_where=text("is_open = true")),
        Index("ix_candidate_open_user", "username", "human_task_id", sqlite_where=text("is_open = 1"),
              postgresql_where=text("is_open = true")),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    human_task_id: Mapped[int] = mapped_column(ForeignKey("human_task.id", ondelete="CASCADE"), index=True)
    group_id: Mapped[str | None] = mapped_column(String(80))
    username: Mapped[str | None] = mapped_column(String(80))
    is_open: Mapped[bool] = mapped_column(Boolean, default=True, server_default=true())


class SideTask(Base):
    """What a side task asks and what its person answered (its inbox row is the `human_task` of the same id)."""

    __tablename__ = "side_task"

    id: Mapped[int] = mapped_column(ForeignKey("human_task.id", ondelete="CASCADE"), primary_key=True)
    instance_id: Mapped[int] = mapped_column(ForeignKey("process_instance.id", ondelete="CASCADE"), index=True)
    asked_by: Mapped[str] = mapped_column(String(80))
    reason: Mapped[str] = mapped_column(Text)
    opinion: Mapped[str | None] = mapped_column(Text)
    decision: Mapped[str | None] = mapped_column(String(20))  # countersign: approve | reject
    # countersign: the approver's own decision; rework: the step's earlier answers, then the corrected ones
    data: Mapped[dict[str, Any]] = mapped_column(default=dict)


class AuditEvent(Base):
    """Append-only history; each row's hash covers the previous row of the same chain."""

    __tablename__ = "audit_event"
    __table_args__ = (UniqueConstraint("chain", "seq"),)

    id: Mapped[int] = mapped_column(BigInteger().with_variant(Integer, "sqlite"), primary_key=True)
    chain: Mapped[str] = mapped_column(String(40))  # "instance:<id>" or "system"; indexed by (chain, seq)
    seq: Mapped[int] = mapped_column(Integer)
    instance_id: Mapped[int | None] = mapped_column(index=True)
    definition_id: Mapped[int | None]
    process_id: Mapped[str | None] = mapped_column(String(200), index=True)
    task_guid: Mapped[str | None] = mapped_column(String(36))
    bpmn_id: Mapped[str | None] = mapped_column(String(200))
    kind: Mapped[str] = mapped_column(String(40), index=True)
    actor: Mapped[str] = mapped_column(String(80), index=True)
    at: Mapped[datetime] = mapped_column(index=True)
    data: Mapped[dict[str, Any]] = mapped_column(default=dict)
    prev_hash: Mapped[str] = mapped_column(String(64))
    hash: Mapped[str] = mapped_column(String(64))
    keyed: Mapped[bool] = mapped_column(Boolean, default=False)  # hash is an HMAC with the operator's key


class InstanceReader(Base):
    """Someone a request was copied to (抄送) or who was mentioned in it: they may read it. A group row lets
    every current member read it."""

    __tablename__ = "instance_reader"
    __table_args__ = (Index("ix_reader_user", "username", "instance_id"), Index("ix_reader_group", "group_id", "instance_id"))

    id: Mapped[int] = mapped_column(primary_key=True)
    instance_id: Mapped[int] = mapped_column(ForeignKey("process_instance.id", ondelete="CASCADE"), index=True)
    username: Mapped[str | None] = mapped_column(String(80))
    group_id: Mapped[str | None] = mapped_column(String(80))
    reason: Mapped[str] = mapped_column(String(20))  # copied | mentioned
    added_by: Mapped[str] = mapped_column(String(80))
    added_at: Mapped[datetime]


class Attachment(Base):
    """A file attached to a request (optionally to one of its tasks), or staged by its uploader for a start
    form (no request yet). The bytes live in the file store under `sha256`; a removed file stays listed in
    the audit trail."""

    __tablename__ = "attachment"
    __table_args__ = (Index("ix_attachment_instance", "instance_id", "id"),
                      Index("ix_attachment_staged", "uploaded_by", "instance_id"))

    id: Mapped[int] = mapped_column(primary_key=True)
    instance_id: Mapped[int | None] = mapped_column(ForeignKey("process_instance.id", ondelete="CASCADE"))
    task_id: Mapped[int | None] = mapped_column(ForeignKey("human_task.id", ondelete="SET NULL"))
    field: Mapped[str | None] = mapped_column(String(80))  # the form field it was submitted with, if any
    filename: Mapped[str] = mapped_column(String(255))
    media_type: Mapped[str] = mapped_column(String(120))
    size: Mapped[int] = mapped_column(BigInteger)
    sha256: Mapped[str] = mapped_column(String(64))
    uploaded_by: Mapped[str] = mapped_column(String(80))
    uploaded_at: Mapped[datetime]
    removed_by: Mapped[str | None] = mapped_column(String(80))
    removed_at: Mapped[datetime | None]


class Notice(Base):
    """One notification for one person, in the app (the bell), whether or not mail is configured."""

    __tablename__ = "notice"
    __table_args__ = (Index("ix_notice_user", "username", "id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    username: Mapped[str] = mapped_column(String(80))
    instance_id: Mapped[int | None] = mapped_column(ForeignKey("process_instance.id", ondelete="CASCADE"))
    subject: Mapped[str] = mapped_column(String(300))
    body: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime]
    read_at: Mapped[datetime | None]


class CalendarDay(Base):
    """A day of the working calendar a process owner entered: a company closure (or a day the company
    works), or, `official`, a day of China's calendar for a year the package does not know."""

    __tablename__ = "calendar_day"

    day: Mapped[date] = mapped_column(primary_key=True)
    working: Mapped[bool]
    official: Mapped[bool]
    name: Mapped[str] = mapped_column(String(100))
    created_by: Mapped[str] = mapped_column(String(80))
    created_at: Mapped[datetime]


class OutboxMessage(Base):
    """A message waiting to be sent (mailed, or posted to a group's chat robot): written with the step that
    caused it, sent by the worker."""

    __tablename__ = "outbox_message"
    __table_args__ = (Index("ix_outbox_pending", "sent_at", "id"),
                      Index("ix_outbox_webhook_due", "channel", "sent_at", "failed_at", "next_attempt_at"))

    id: Mapped[int] = mapped_column(primary_key=True)
    instance_id: Mapped[int | None] = mapped_column(index=True)
    recipient: Mapped[str] = mapped_column(String(120))  # a username or group:<id>
    subject: Mapped[str] = mapped_column(String(300))
    body: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime]
    sent_at: Mapped[datetime | None]
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    last_error: Mapped[str | None] = mapped_column(Text)
    channel: Mapped[str] = mapped_column(String(10), default="mail", server_default="mail")  # mail | webhook
    kind: Mapped[str | None] = mapped_column(String(20))  # the event (engine/preferences.py EVENTS)
    next_attempt_at: Mapped[datetime | None]  # webhooks: not before (backoff, or a worker's claim)
    failed_at: Mapped[datetime | None]        # webhooks: given up after the last attempt


class NoticePreference(Base):
    """Which notifications a person also wants by mail (in the app they always arrive)."""

    __tablename__ = "notice_preference"

    username: Mapped[str] = mapped_column(String(80), primary_key=True)
    mail: Mapped[bool] = mapped_column(Boolean)
    events: Mapped[list[Any]] = mapped_column()  # the events mailed, from engine/preferences.py EVENTS
    updated_at: Mapped[datetime]


class GroupWebhook(Base):
    """A group's chat robot (企业微信 or 钉钉): the group's notifications are posted to it as markdown."""

    __tablename__ = "group_webhook"

    group_id: Mapped[str] = mapped_column(ForeignKey("app_group.id", ondelete="CASCADE"), primary_key=True)
    kind: Mapped[str] = mapped_column(String(20))  # wecom | dingtalk
    url: Mapped[str] = mapped_column(String(1000))
    secret: Mapped[str | None] = mapped_column(String(200))  # 钉钉's signing secret; never shown back
    set_by: Mapped[str] = mapped_column(String(80))
    set_at: Mapped[datetime]


class OutOfOffice(Base):
    """A person away from `starts_on` to `ends_on` (inclusive, company dates): new tasks go to the deputy."""

    __tablename__ = "out_of_office"
    __table_args__ = (Index("ix_out_of_office_dates", "starts_on", "ends_on"),)

    username: Mapped[str] = mapped_column(String(80), primary_key=True)
    deputy: Mapped[str] = mapped_column(String(80))
    starts_on: Mapped[date] = mapped_column(Date)
    ends_on: Mapped[date] = mapped_column(Date)
    set_by: Mapped[str] = mapped_column(String(80))
    set_at: Mapped[datetime]


class EventWait(Base):
    """A running instance waits for a message or signal of this name (the router's index, never the blob)."""

    __tablename__ = "event_wait"
    __table_args__ = (Index("ix_event_wait_name", "kind", "name", "instance_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    instance_id: Mapped[int] = mapped_column(ForeignKey("process_instance.id", ondelete="CASCADE"), index=True)
    kind: Mapped[str] = mapped_column(String(10))  # message | signal
    name: Mapped[str] = mapped_column(String(200))


class StartTrigger(Base):
    """A start event of a deployed definition that is not started by hand: message, signal or timer."""

    __tablename__ = "start_trigger"
    __table_args__ = (Index("ix_start_trigger_name", "kind", "name"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    definition_id: Mapped[int] = mapped_column(ForeignKey("process_definition.id", ondelete="CASCADE"), index=True)
    process_id: Mapped[str] = mapped_column(String(200))
    bpmn_id: Mapped[str] = mapped_column(String(200))
    kind: Mapped[str] = mapped_column(String(10))  # message | signal | timer
    name: Mapped[str] = mapped_column(String(200))  # message or signal name; the timer expression


class ScheduledStart(Base):
    """The next due time of a timer start event; the worker starts one instance per due time."""

    __tablename__ = "scheduled_start"

    id: Mapped[int] = mapped_column(primary_key=True)
    process_id: Mapped[str] = mapped_column(String(200), unique=True)
    definition_id: Mapped[int] = mapped_column(ForeignKey("process_definition.id", ondelete="CASCADE"))
    bpmn_id: Mapped[str] = mapped_column(String(200))
    next_at: Mapped[datetime | None] = mapped_column(index=True)  # None: no more starts
    remaining: Mapped[int] = mapped_column(Integer)  # starts still to come; -1 for ever
    every_seconds: Mapped[float | None]
    fired: Mapped[int] = mapped_column(Integer, default=0)
    version: Mapped[int] = mapped_column(Integer, nullable=False)

    __mapper_args__ = {"version_id_col": version}


class DefinitionForm(Base):
    """A form file as deployed with a definition version: validation and pages read this, not the disk."""

    __tablename__ = "definition_form"
    __table_args__ = (UniqueConstraint("definition_id", "filename"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    definition_id: Mapped[int] = mapped_column(ForeignKey("process_definition.id", ondelete="CASCADE"), index=True)
    filename: Mapped[str] = mapped_column(String(300))
    content: Mapped[str] = mapped_column(Text)
    sha256: Mapped[str] = mapped_column(String(64))


_NAMES = {"HumanTask": "task", "ProcessInstance": "instance", "ProcessDefinition": "definition",
          "ProcessDraft": "draft", "ApiToken": "token"}


def get_row(session, model, key):
    """The row of `model` with primary key `key`, or NotFound naming what is missing."""
    from ..errors import NotFound
    row = session.get(model, key)
    if row is None:
        raise NotFound(f"{_NAMES.get(model.__name__, model.__name__)} {key} does not exist")
    return row


class SignInFailure(Base):
    """Failed sign-ins of one user name from one address, and until when that pair is locked out."""

    __tablename__ = "sign_in_failure"

    key: Mapped[str] = mapped_column(String(300), primary_key=True)  # "<user name>|<address>"
    failures: Mapped[int] = mapped_column(Integer, default=0)
    locked_until: Mapped[datetime | None]
    last_seen: Mapped[datetime] = mapped_column(index=True)


class ApiToken(Base):
    """A personal access token for the JSON API. Only the sha256 of its secret is kept: the secret itself
    is shown once, when the token is made."""

    __tablename__ = "api_token"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("app_user.id", ondelete="CASCADE"), index=True)
    name: Mapped[str] = mapped_column(String(100))
    token_hash: Mapped[str] = mapped_column(String(64), unique=True, index=True)  # sha256 hex of the secret
    created_at: Mapped[datetime]
    created_by: Mapped[str] = mapped_column(String(80))
    expires_at: Mapped[datetime | None]
    last_used_at: Mapped[datetime | None]  # written at most once a minute
    revoked_at: Mapped[datetime | None]
    revoked_by: Mapped[str | None] = mapped_column(String(80))
    user: Mapped[User] = relationship()
