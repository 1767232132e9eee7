"""The virtual users: one thread each, with a keep-alive connection and the user's personal access token.

A user loops: start a request of its own while fewer than MAX_OPEN of its own are waiting, list its tasks
(`GET /api/v1/tasks`), and complete the ones it is responsible for. Every user is in every group, so each
sees every open task; to work without clashing, user i approves the requests of user i-1 (never its own:
the engine refuses self-approval), and revises its own requests when they come back rejected (every
REJECT_EVERY-th first approval says reject).

A call cut off by a kill or a restart (connection refused, reset or closed; 503 or 429 with Retry-After) is
retried for up to RETRY_FOR seconds and counted as retried; anything else unexpected is a hard error. A
completion counts as acknowledged only on a 200: those are what the consistency check must find. When a
retried completion is answered 409 "completed" by the same user, the cut-off attempt had committed: that
one is recorded as settled by a retry, and checked too.
"""
from __future__ import annotations

import http.client
import json
import threading
import time
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from typing import Any

from .deployment import PROCESS

MAX_OPEN = 2
IDLE_PAUSE = 0.1
RETRY_FOR = 60.0
RETRY_PAUSE = 0.2
MAX_RETRY_AFTER = 5.0
TIMEOUT = 60.0           # gunicorn replaces a web process stuck longer than this anyway
REJECT_EVERY = 10
FRESH_AFTER = 1.5        # gunicorn closes idle keep-alive connections after 2 s: reconnect before
APPROVALS = ("manager_approval", "gm_approval")
REVISE = "revise"
CAUSES = {ConnectionRefusedError: "connection refused", ConnectionResetError: "connection reset",
          BrokenPipeError: "broken pipe", http.client.RemoteDisconnected: "connection closed",
          http.client.IncompleteRead: "reply cut off"}


@dataclass(frozen=True)
class Completion:
    task_id: int
    instance_id: int
    user: str
    bpmn_id: str
    at: float  # seconds since the load began
    failures: tuple[str, ...] = ()  # the attempts before the answer: what cut them off


@dataclass(frozen=True)
class Start:
    instance_id: int
    user: str
    at: float
    failures: tuple[str, ...] = ()


@dataclass
class Ledger:
    """What the users saw: every answer's latency and status, every retried attempt and its cause, the hard
    errors, and every start and completion the server acknowledged. Shared by all users' threads."""

    began: float = field(default_factory=time.monotonic)
    latency: dict[str, list[float]] = field(default_factory=lambda: defaultdict(list))
    statuses: Counter = field(default_factory=Counter)
    retried: Counter = field(default_factory=Counter)
    errors: list[str] = field(default_factory=list)
    starts: list[Start] = field(default_factory=list)
    completions: list[Completion] = field(default_factory=list)
    settled: list[Completion] = field(default_factory=list)
    ended: float | None = None

    def __post_init__(self):
        self.lock = threading.Lock()

    def now(self) -> float:
        return time.monotonic() - self.began

    def answered(self, call: str, status: int, seconds: float) -> None:
        with self.lock:
            self.latency[call].append(seconds)
            self.statuses[(call, status)] += 1

    def retry(self, cause: str) -> None:
        with self.lock:
            self.retried[cause] += 1

    def error(self, call: str, detail: str) -> None:
        with self.lock:
            self.errors.append(f"{self.now():6.1f} s  {call}: {detail}")

    def started(self, start: Start) -> None:
        with self.lock:
            self.starts.append(start)

    def completed(self, completion: Completion, settled: bool = False) -> None:
        with self.lock:
            (self.settled if settled else self.completions).append(completion)

    @property
    def requests(self) -> int:
        return sum(self.statuses.values())

    @property
    def seconds(self) -> float:
        return (self.ended or time.monotonic()) - self.began


class Board:
    """Who started which open request: how the users share the work out."""

    def __init__(self, users: list[str]):
        self.users = users
        self.lock = threading.Lock()
        self.owner: dict[int, str] = {}
        self.open: dict[str, set[int]] = {u: set() for u in users}

    def applicant_of(self, user: str) -> str:
        """Whose requests `user` approves: the previous user's (the last user's, for the first)."""
        return self.users[self.users.index(user) - 1]

    def started(self, user: str, instance_id: int) -> None:
        with self.lock:
            self.owner[instance_id] = user
            self.open[user].add(instance_id)

    def finished(self, instance_id: int) -> None:
        with self.lock:
            owner = self.owner.get(instance_id)
            if owner is not None:
                self.open[owner].discard(instance_id)

    def open_count(self, user: str) -> int:
        with self.lock:
            return len(self.open[user])

    def owner_of(self, instance_id: int) -> str | None:
        with self.lock:
            return self.owner.get(instance_id)


@dataclass
class Answer:
    status: int
    body: Any
    failures: list[str]


class Connection:
    """One keep-alive HTTP connection carrying a bearer token; reopened after a failure or a pause."""

    def __init__(self, port: int, token: str):
        self.port, self.token = port, token
        self.conn: http.client.HTTPConnection | None = None
        self.used = 0.0

    def send(self, method: str, path: str, body: Any = None) -> tuple[int, Any, float, float]:
        """(status, decoded JSON body, Retry-After seconds, seconds taken); raises OSError or HTTPException when
        the connection fails."""
        if self.conn is not None and time.monotonic() - self.used > FRESH_AFTER:
            self.close()
        if self.conn is None:
            self.conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=TIMEOUT)
        headers = {"Authorization": f"Bearer {self.token}", "Accept": "application/json"}
        payload = None
        if body is not None:
            payload = json.dumps(body).encode("utf-8")
            headers["Content-Type"] = "application/json"
        began = time.perf_counter()
        try:
            self.conn.request(method, path, body=payload, headers=headers)
            response = self.conn.getresponse()
            raw = response.read()
        except BaseException:
            self.close()
            raise
        seconds = time.perf_counter() - began
        self.used = time.monotonic()
        if response.will_close:
            self.close()
        try:
            decoded = json.loads(raw) if raw else None
        except ValueError:
            decoded = raw[:200].decode("utf-8", "replace")
        try:
            retry_after = float(response.headers.get("Retry-After") or 0)
        except ValueError:
            retry_after = 1.0
        return response.status, decoded, retry_after, seconds

    def close(self) -> None:
        if self.conn is not None:
            self.conn.close()
            self.conn = None


class VirtualUser(threading.Thread):
    def __init__(self, name: str, token: str, port: int, board: Board, ledger: Ledger, stop: threading.Event):
        super().__init__(name=f"user {name}", daemon=True)
        self.user, self.board, self.ledger, self.stop = name, board, ledger, stop
        self.connection = Connection(port, token)
        self.applicant = board.applicant_of(name)
        self.first_approvals = 0
        self.requests_made = 0

    def run(self) -> None:
        try:
            while not self.stop.is_set():
                if self.board.open_count(self.user) < MAX_OPEN:
                    self.start_request()
                if not self.work():
                    self.stop.wait(IDLE_PAUSE)
        except Exception as exc:  # noqa: BLE001 - a user that dies is an error to report, not a silent gap
            self.ledger.error("user", f"{self.user} stopped: {exc.__class__.__name__}: {exc}")
        finally:
            self.connection.close()

    # -- the calls -------------------------------------------------------------------------------------
    def call(self, kind: str, method: str, path: str, body: Any = None) -> Answer | None:
        """One API call, retried through what a kill or a restart does to it; None after a hard error."""
        failures: list[str] = []
        give_up = time.monotonic() + RETRY_FOR
        while True:
            try:
                status, payload, retry_after, seconds = self.connection.send(method, path, body)
            except TimeoutError:
                self.ledger.error(kind, f"{method} {path}: no answer within {TIMEOUT:.0f} s")
                return None
            except (OSError, http.client.HTTPException) as exc:
                cause = CAUSES.get(type(exc), exc.__class__.__name__)
                if time.monotonic() > give_up:
                    self.ledger.error(kind, f"{method} {path}: {cause}, still after {RETRY_FOR:.0f} s of retries")
                    return None
                failures.append(cause)
                self.ledger.retry(cause)
                time.sleep(RETRY_PAUSE)
                continue
            self.ledger.answered(kind, status, seconds)
            if status in (429, 503) and time.monotonic() < give_up:
                cause = f"{status} with Retry-After"
                failures.append(cause)
                self.ledger.retry(cause)
                time.sleep(min(retry_after or 1.0, MAX_RETRY_AFTER))
                continue
            return Answer(status, payload, failures)

    def unexpected(self, kind: str, what: str, answer: Answer) -> None:
        after = f" (after retries: {', '.join(answer.failures)})" if answer.failures else ""
        self.ledger.error(kind, f"{what}: {answer.status} {json.dumps(answer.body, ensure_ascii=False)[:300]}{after}")

    def start_request(self) -> None:
        self.requests_made += 1
        data = {"customer": f"{self.user} 客户{self.requests_made}", "amount": 500 + 37 * self.requests_made}
        answer = self.call("start", "POST", f"/api/v1/processes/{PROCESS}/instances", {"data": data})
        if answer is None:
            return
        if answer.status != 201:
            self.unexpected("start", f"{self.user} starts {PROCESS}", answer)
            return
        instance_id = answer.body["id"]
        self.ledger.started(Start(instance_id, self.user, self.ledger.now(), tuple(answer.failures)))
        self.board.started(self.user, instance_id)

    def work(self) -> bool:
        """List the tasks and complete those this user is responsible for; False when there were none."""
        answer = self.call("tasks", "GET", "/api/v1/tasks?scope=all")
        if answer is None:
            return False
        if answer.status != 200:
            self.unexpected("tasks", f"{self.user} lists tasks", answer)
            return False
        mine = [t for t in answer.body if self.responsible(t)]
        for task in mine:
            if self.stop.is_set():
                break
            self.complete(task)
        return bool(mine)

    def responsible(self, task: dict[str, Any]) -> bool:
        owner = self.board.owner_of(task["instance_id"])
        return ((owner == self.applicant and task["bpmn_id"] in APPROVALS)
                or (owner == self.user and task["bpmn_id"] == REVISE))

    def form_data(self, task: dict[str, Any]) -> dict[str, Any]:
        if task["bpmn_id"] == REVISE:
            return {"customer": f"{self.user} 客户{self.requests_made} (改)", "amount": 900}
        if task["bpmn_id"] == "manager_approval":
            self.first_approvals += 1
            if self.first_approvals % REJECT_EVERY == 0:
                return {"decision": "reject", "comment": "请补充材料"}
        return {"decision": "approve"}

    def complete(self, task: dict[str, Any]) -> None:
        task_id, instance_id = task["id"], task["instance_id"]
        answer = self.call("complete", "POST", f"/api/v1/tasks/{task_id}/complete", {"data": self.form_data(task)})
        if answer is None:
            return
        done = Completion(task_id, instance_id, self.user, task["bpmn_id"], self.ledger.now(), tuple(answer.failures))
        if answer.status == 200:
            self.ledger.completed(done)
            if answer.body.get("status") != "running":
                if answer.body.get("status") == "error":
                    self.ledger.error("complete", f"instance {instance_id} in error: {answer.body.get('error')}")
                self.board.finished(instance_id)
            return
        body = answer.body if isinstance(answer.body, dict) else {}
        if (answer.status == 409 and answer.failures and body.get("reason") == "completed"
                and body.get("holder") == self.user):
            # the attempt that was cut off had committed: the task is done, by this user
            self.ledger.completed(done, settled=True)
            self.refresh(instance_id)
            return
        self.unexpected("complete", f"{self.user} completes task {task_id} ({task['bpmn_id']})", answer)

    def refresh(self, instance_id: int) -> None:
        """After a completion whose reply was lost: is the request finished?"""
        answer = self.call("instance", "GET", f"/api/v1/instances/{instance_id}")
        if answer is not None and answer.status == 200 and answer.body["instance"]["status"] != "running":
            self.board.finished(instance_id)
