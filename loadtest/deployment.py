"""The system under load: a fresh database set up with the operator's commands, and `approvals serve` on it.

Everything lives in one temporary folder (database or checkpoint file, the users file, the server's log) and
goes with it. The process helpers read /proc: the serve process is gunicorn's arbiter, its web processes are
forks with the same command line, and its worker is its `--worker-loop` child.
"""
from __future__ import annotations

import json
import os
import secrets
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parent.parent
DATA = ROOT / "tests" / "data"
DIAGRAM = DATA / "approval.bpmn"
FORMS = DATA / "forms"
PROCESS = "small_approval"
# every user may start a request (cs_staff, the start lane) and approve (cs_manager, gm) those of others
GROUPS = {"cs_staff": "客户服务部人员", "cs_manager": "客户服务部经理", "gm": "总经理"}
TOKEN_NAME = "load test"
WORKER_INTERVAL = 2.0


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def stat_fields(pid: int) -> list[str]:
    """/proc/PID/stat after the command name (which is in parentheses and may hold spaces): [state, ppid, ...]."""
    try:
        stat = (Path("/proc") / str(pid) / "stat").read_text()
    except OSError:
        return []
    return stat[stat.rindex(")") + 2:].split()


def children(pid: int) -> list[int]:
    """The live child processes of `pid` (zombies have no command line and are left out)."""
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            fields = stat_fields(int(entry.name))
            if fields and int(fields[1]) == pid and cmdline(int(entry.name)):
                found.append(int(entry.name))
    return sorted(found)


def tree_cpu(pid: int) -> float:
    """CPU seconds used by a process and everything under it, children that exited included (once reaped)."""
    fields = stat_fields(pid)
    if not fields:
        return 0.0
    ticks = sum(int(f) for f in fields[11:15])  # utime, stime, cutime, cstime
    return ticks / os.sysconf("SC_CLK_TCK") + sum(tree_cpu(child) for child in children(pid))


def cmdline(pid: int) -> str:
    try:
        return (Path("/proc") / str(pid) / "cmdline").read_bytes().replace(b"\0", b" ").decode().strip()
    except OSError:
        return ""


def user_names(count: int) -> list[str]:
    return [f"user{n:02d}" for n in range(1, count + 1)]


class Deployment:
    """A database made from nothing, `count` users with a token each, and `approvals serve` on a free port."""

    def __init__(self, database, folder: Path, count: int, say=print):
        self.database, self.folder, self.count, self.say = database, folder, count, say
        self.users = user_names(count)
        self.tokens: dict[str, str] = {}
        self.port = free_port()
        self.url = ""
        self.env: dict[str, str] = {}
        self.serve: subprocess.Popen | None = None
        self.extra_worker: subprocess.Popen | None = None
        self._serve_log = None
        self._worker_log = None

    # -- setting up ----------------------------------------------------------------------------------
    def prepare(self) -> None:
        self.url = self.database.start(self.folder)
        self.env = {**os.environ, "DATABASE_URL": self.url, "APPROVALS_INSTANCE_DIR": str(self.folder),
                    "APPROVALS_FORMS_DIR": str(FORMS), "PROMETHEUS_MULTIPROC_DIR": str(self.folder / "metrics"),
                    "APPROVALS_CHECKPOINT_FILE": str(self.folder / "audit-checkpoints.jsonl")}
        self.env.pop("SMTP_HOST", None)
        users_file = self.folder / "users.yaml"
        users_file.write_text(yaml.safe_dump(self.users_document(), allow_unicode=True), encoding="utf-8")
        started = time.monotonic()
        self.approvals("db", "upgrade")
        self.approvals("users", "import", str(users_file))
        self.approvals("deploy", str(DIAGRAM))
        made = subprocess.run([sys.executable, "-m", "loadtest.tokens", TOKEN_NAME, *self.users], cwd=ROOT,
                              env=self.env, capture_output=True, text=True, timeout=300)
        if made.returncode != 0:
            raise RuntimeError(f"approvals token create failed: {made.stderr.strip() or made.stdout.strip()}")
        self.tokens = json.loads(made.stdout.strip().splitlines()[-1])
        self.say(f"  set up in {time.monotonic() - started:.1f} s: db upgrade, {self.count} users imported, "
                 f"{DIAGRAM.name} deployed, {len(self.tokens)} API tokens")

    def users_document(self) -> dict:
        return {"groups": [{"id": gid, "name": name} for gid, name in GROUPS.items()],
                "users": [{"username": u, "name": f"压测用户{u[4:]}", "password": secrets.token_urlsafe(12),
                           "groups": list(GROUPS)} for u in self.users]}

    def approvals(self, *args: str) -> str:
        """Run an `approvals` command against this deployment's database; its output, or an error naming it."""
        done = subprocess.run([sys.executable, "-m", "web.cli", *args], cwd=ROOT, env=self.env,
                              capture_output=True, text=True, timeout=300)
        if done.returncode != 0:
            raise RuntimeError(f"approvals {' '.join(args)}: {(done.stderr or done.stdout).strip()}")
        return done.stdout

    # -- the server ----------------------------------------------------------------------------------
    def start_server(self) -> None:
        self._serve_log = open(self.folder / "serve.log", "wb")
        self.serve = subprocess.Popen(
            [sys.executable, "-m", "web.cli", "serve", "--host", "127.0.0.1", "--port", str(self.port),
             "--interval", str(WORKER_INTERVAL)],
            cwd=ROOT, env=self.env, stdout=self._serve_log, stderr=subprocess.STDOUT)
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            if self.serve.poll() is not None:
                raise RuntimeError(f"approvals serve exited with {self.serve.returncode}: {self.log_tail()}")
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{self.port}/healthz", timeout=2) as answer:
                    if answer.status == 200 and len(self.web_processes()) >= 1:
                        break
            except urllib.error.HTTPError as refused:
                refused.close()
            except OSError:
                pass
            time.sleep(0.2)
        else:
            raise RuntimeError(f"approvals serve did not answer /healthz within 60 s: {self.log_tail()}")
        # every web process up (gunicorn forks them one after the other)
        while len(self.web_processes()) < self.web_process_count() and time.monotonic() < deadline:
            time.sleep(0.1)

    def web_process_count(self) -> int:
        from web.cli import default_workers
        return int(self.env.get("WEB_WORKERS") or default_workers())

    def web_processes(self) -> list[int]:
        """gunicorn's web processes: forks of the serve process, with its command line."""
        if self.serve is None:
            return []
        own = cmdline(self.serve.pid)
        return [pid for pid in children(self.serve.pid) if cmdline(pid) == own]

    def worker_processes(self) -> list[int]:
        """The timer/mail worker `approvals serve` started (its `--worker-loop` child), and one started here."""
        found = [] if self.serve is None else [
            pid for pid in children(self.serve.pid) if "--worker-loop" in cmdline(pid)]
        if self.extra_worker is not None and self.extra_worker.poll() is None:
            found.append(self.extra_worker.pid)
        return found

    def cpu_seconds(self) -> float:
        """CPU seconds used so far by `approvals serve` (web processes, worker, sandboxes) and any worker started
        here."""
        return sum(tree_cpu(p.pid) for p in (self.serve, self.extra_worker) if p is not None and p.poll() is None)

    def start_worker(self) -> int:
        """`approvals worker` beside the server, as an operator would run it under a supervisor."""
        self._worker_log = open(self.folder / "worker.log", "wb")
        self.extra_worker = subprocess.Popen(
            [sys.executable, "-m", "web.cli", "worker", "--interval", str(WORKER_INTERVAL)],
            cwd=ROOT, env=self.env, stdout=self._worker_log, stderr=subprocess.STDOUT)
        return self.extra_worker.pid

    def log_tail(self, lines: int = 20) -> str:
        try:
            text = (self.folder / "serve.log").read_text(errors="replace")
        except OSError:
            return ""
        return "\n".join(text.splitlines()[-lines:])

    def stop_server(self) -> None:
        """The server and any worker started here: SIGTERM, then SIGKILL after 30 s."""
        for proc in (self.extra_worker, self.serve):
            if proc is None or proc.poll() is not None:
                continue
            proc.send_signal(signal.SIGTERM)
            try:
                proc.wait(30)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()
        for handle in (self._serve_log, self._worker_log):
            if handle is not None:
                handle.close()
