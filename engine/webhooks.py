"""Group chat robots (企业微信 and 钉钉 group robots): a process owner gives a group a robot's webhook address;
the group's notifications are then also posted there as markdown. Posts are queued in the outbox with the
step that caused them and sent by the worker outside any unit of work, with retries and backoff, and given up
(listed for operators) after MAX_ATTEMPTS."""
from __future__ import annotations

import base64
import hashlib
import hmac
import json
import os
import urllib.error
import urllib.parse
import urllib.request
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from .audit import SYSTEM_CHAIN
from .directory import SYSTEM_USER
from .errors import EngineError, NotAllowed, NotFound
from .storage.models import Group, GroupWebhook, OutboxMessage

KINDS = ("wecom", "dingtalk")
MANAGERS = "process_owner"      # the group whose members configure robots (and the operator's command line)
MAX_ATTEMPTS = int(os.environ.get("APPROVALS_WEBHOOK_ATTEMPTS") or 5)
BACKOFF = timedelta(seconds=30)  # after the n-th failure wait BACKOFF * 2**(n-1): 30 s, 1 min, 2 min, ...
CLAIM = timedelta(minutes=2)     # a worker's hold on a post it is sending (another worker skips it)
TIMEOUT = 10                     # seconds per post
MAX_URL = 1000


@dataclass(frozen=True)
class Robot:
    """A group's robot as shown back: never the secret, only whether there is one."""

    group_id: str
    kind: str
    url: str
    signed: bool
    set_by: str
    set_at: datetime


@dataclass(frozen=True)
class FailedPost:
    id: int
    group_id: str
    instance_id: int | None
    subject: str
    attempts: int
    last_error: str | None
    created_at: datetime
    failed_at: datetime


def checked_url(url: str) -> str:
    """An absolute http(s) address of a host, without credentials; anything else is refused."""
    url = (url or "").strip()
    parts = urllib.parse.urlsplit(url)
    if (len(url) > MAX_URL or parts.scheme not in ("http", "https") or not parts.hostname
            or parts.username or parts.password or any(c.isspace() or ord(c) < 32 for c in url)):
        raise EngineError("a robot's address is an http:// or https:// address of a host (no user name, no "
                          "spaces, at most 1000 characters)", "bad_url")
    return url


def body_of(kind: str, subject: str, text: str) -> dict[str, Any]:
    """The JSON each robot documents for a markdown message."""
    if kind == "dingtalk":
        return {"msgtype": "markdown", "markdown": {"title": subject, "text": text}}
    return {"msgtype": "markdown", "markdown": {"content": text}}


def signed_url(url: str, secret: str, now: datetime) -> str:
    """钉钉's signed address: timestamp (ms) and the base64 HMAC-SHA256 of "timestamp\\nsecret" keyed by the
    secret, URL-encoded."""
    timestamp = str(int(now.timestamp() * 1000))
    digest = hmac.new(secret.encode("utf-8"), f"{timestamp}\n{secret}".encode("utf-8"), hashlib.sha256).digest()
    sign = urllib.parse.quote_plus(base64.b64encode(digest).decode("ascii"))
    return f"{url}{'&' if '?' in url else '?'}timestamp={timestamp}&sign={sign}"


def markdown(subject: str, body: str, link: str) -> str:
    text = f"### {subject}\n\n{body}".replace("{task_url}", link or "-")
    return f"{text}\n\n[查看申请]({link})" if link else text


def queue(session: Session, notes: list[dict[str, Any]], instance_id: int | None, now: datetime) -> list[dict]:
    """Outbox rows for the notes addressed to groups that have a robot (one read, only when a note is for a
    group)."""
    groups = {n["to"][len("group:"):] for n in notes if str(n.get("to") or "").startswith("group:")}
    if not groups:
        return []
    robots = {f"group:{g}" for g in session.scalars(select(GroupWebhook.group_id)
                                                    .where(GroupWebhook.group_id.in_(groups)))}
    return [dict(instance_id=instance_id, recipient=n["to"], subject=str(n.get("subject") or "")[:300],
                 body=str(n.get("body") or ""), created_at=now, attempts=0, channel="webhook", kind=n.get("kind"))
            for n in notes if n.get("to") in robots]


class _NoRedirects(urllib.request.HTTPRedirectHandler):
    """A robot answers where it was configured; a redirect elsewhere is a failure, not followed."""

    def redirect_request(self, *args, **kwargs):
        return None


_OPENER = urllib.request.build_opener(_NoRedirects)


def post(url: str, payload: dict[str, Any]) -> None:
    """POST the JSON; raises OSError (urllib's errors included) or ValueError when the robot refused it. Both
    robots answer 200 with {"errcode": 0} when they took the message."""
    request = urllib.request.Request(url, data=json.dumps(payload, ensure_ascii=False).encode("utf-8"),
                                     headers={"Content-Type": "application/json; charset=utf-8"}, method="POST")
    with _OPENER.open(request, timeout=TIMEOUT) as response:
        answer = response.read(65536)
    try:
        parsed = json.loads(answer or b"{}")
    except ValueError:
        parsed = {}
    if isinstance(parsed, dict) and parsed.get("errcode") not in (None, 0):
        raise ValueError(f"robot refused: errcode {parsed.get('errcode')} {parsed.get('errmsg', '')}".strip())


def _due(now: datetime):
    return (select(OutboxMessage).where(OutboxMessage.channel == "webhook", OutboxMessage.sent_at.is_(None),
                                        OutboxMessage.failed_at.is_(None),
                                        or_(OutboxMessage.next_attempt_at.is_(None),
                                            OutboxMessage.next_attempt_at <= now))
            .order_by(OutboxMessage.id))


class WebhookVerbs:
    """Mixed into Engine; relies on its `_unit`, `_groups`, `session`, `Session`, `locking` and `now`."""

    def _require_manager(self, session: Session, user: str) -> None:
        if user != SYSTEM_USER and MANAGERS not in self._groups(session, user):
            raise NotAllowed(f"{user} may not configure group robots (process owners do)", "not_process_owner")

    def group_robots(self, user: str) -> list[Robot]:
        """Every group's robot (process owners and the operator)."""
        with self.session() as s:
            self._require_manager(s, user)
            return [Robot(r.group_id, r.kind, r.url, bool(r.secret), r.set_by, r.set_at)
                    for r in s.scalars(select(GroupWebhook).order_by(GroupWebhook.group_id))]

    def set_group_robot(self, group_id: str, user: str, url: str, kind: str, secret: str | None = None) -> Robot:
        """Give a group a chat robot (replacing the one it had); `secret` signs 钉钉 posts."""
        url = checked_url(url)
        if kind not in KINDS:
            raise EngineError(f"a robot is one of {', '.join(KINDS)}", "bad_kind", str(kind))
        secret = (secret or "").strip() or None
        if secret and (kind != "dingtalk" or len(secret) > 200):
            raise EngineError("only a 钉钉 robot has a signing secret (at most 200 characters)", "bad_secret")

        def work(unit) -> Robot:
            s = unit.session
            self._require_manager(s, user)
            if s.get(Group, group_id) is None:
                raise NotFound(f"group {group_id} does not exist", "group_unknown")
            row = s.get(GroupWebhook, group_id)
            if row is None:
                row = GroupWebhook(group_id=group_id)
                s.add(row)
            row.kind, row.url, row.secret, row.set_by, row.set_at = kind, url, secret, user, unit.now
            unit.audit.append(kind="robot_set", actor=user, at=unit.now, chain=SYSTEM_CHAIN,
                              data={"group": group_id, "kind": kind, "url": url, "signed": bool(secret)})
            return Robot(group_id, kind, url, bool(secret), user, unit.now)
        return self._unit(user, work)

    def remove_group_robot(self, group_id: str, user: str) -> bool:
        """Take a group's robot away; False when it had none. Posts still queued for it are given up."""
        def work(unit) -> bool:
            self._require_manager(unit.session, user)
            row = unit.session.get(GroupWebhook, group_id)
            if row is None:
                return False
            unit.session.delete(row)
            unit.audit.append(kind="robot_removed", actor=user, at=unit.now, chain=SYSTEM_CHAIN,
                              data={"group": group_id})
            return True
        return self._unit(user, work)

    def failed_robot_posts(self, user: str, limit: int = 100) -> list[FailedPost]:
        """Posts given up after their last attempt, newest first (process owners and the operator)."""
        with self.session() as s:
            self._require_manager(s, user)
            found = s.scalars(select(OutboxMessage).where(OutboxMessage.channel == "webhook",
                                                          OutboxMessage.failed_at.is_not(None))
                              .order_by(OutboxMessage.id.desc()).limit(limit))
            return [FailedPost(m.id, m.recipient[len("group:"):], m.instance_id, m.subject, m.attempts, m.last_error,
                               m.created_at, m.failed_at) for m in found]

    def deliver_webhooks(self, base_url: str = "", now: datetime | None = None, limit: int = 50) -> int:
        """Post the due robot messages; returns how many a robot took. Claims a batch in one short transaction,
        posts outside any, and records each result in another."""
        now = now or self.now()
        with self.Session() as s, s.begin():
            stmt = _due(now).limit(limit)
            batch = list(s.scalars(stmt.with_for_update(skip_locked=True) if self.locking else stmt))
            if not batch:
                return 0
            robots = {r.group_id: r for r in s.scalars(select(GroupWebhook).where(
                GroupWebhook.group_id.in_({m.recipient[len("group:"):] for m in batch})))}
            jobs = []
            for m in batch:
                m.attempts += 1
                m.next_attempt_at = now + CLAIM
                robot = robots.get(m.recipient[len("group:"):])
                link = f"{base_url}/requests/{m.instance_id}" if base_url and m.instance_id else ""
                jobs.append((m.id, m.attempts, robot and (robot.kind, robot.url, robot.secret),
                             m.subject, markdown(m.subject, m.body, link)))
        taken = 0
        for message_id, attempts, robot, subject, text in jobs:
            error = "the group has no robot any more" if robot is None else None
            if robot is not None:
                kind, url, secret = robot
                try:
                    post(signed_url(url, secret, now) if secret else url, body_of(kind, subject, text))
                except (OSError, ValueError) as exc:
                    error = f"{exc.__class__.__name__}: {exc}"[:1000]
            with self.Session() as s, s.begin():
                m = s.get(OutboxMessage, message_id)
                if error is None:
                    m.sent_at, m.last_error, m.next_attempt_at = now, None, None
                    taken += 1
                elif robot is None or attempts >= MAX_ATTEMPTS:
                    m.failed_at, m.last_error = now, error
                else:
                    m.last_error, m.next_attempt_at = error, now + BACKOFF * 2 ** (attempts - 1)
        return taken
