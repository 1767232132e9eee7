"""The checkpoint file: one JSON line per checkpoint, only ever appended to, outside the database.

Where it is: `APPROVALS_CHECKPOINT_FILE`, else `audit-checkpoints.jsonl` beside the SQLite database, else
(PostgreSQL) in the instance folder (`APPROVALS_INSTANCE_DIR`). The file is opened with O_APPEND, so a
write can only add to its end; each checkpoint is written with one `write` while holding an exclusive
lock (several workers may run), then flushed to the disk (`fsync`) before the writer goes on.
"""
from __future__ import annotations

import os
from pathlib import Path
from typing import Callable

from sqlalchemy.engine import make_url

try:  # POSIX; elsewhere writers are not serialised (run one worker)
    import fcntl
except ImportError:  # pragma: no cover
    fcntl = None

FILENAME = "audit-checkpoints.jsonl"
_BLOCK = 1 << 16


def default_path(database_url: str | None) -> Path:
    """APPROVALS_CHECKPOINT_FILE, else beside the SQLite file, else in the instance folder."""
    configured = os.environ.get("APPROVALS_CHECKPOINT_FILE")
    if configured:
        return Path(configured)
    if database_url:
        url = make_url(str(database_url))
        if url.get_backend_name() == "sqlite" and url.database and url.database != ":memory:":
            return Path(url.database).resolve().parent / FILENAME
    return Path(os.environ.get("APPROVALS_INSTANCE_DIR", "instance")) / FILENAME


class Tail:
    """The end of the file, as a writer holding the lock sees it."""

    def __init__(self, fd: int):
        self._fd = fd
        self.size = os.fstat(fd).st_size
        self.last = _last_line(fd, self.size)  # None when the file is empty
        self.torn = self.size > 0 and not _ends_with_newline(fd, self.size)  # a write cut short

    def next_line_number(self) -> int:
        """The number (from 1) of the line an append writes now."""
        with os.fdopen(os.dup(self._fd), "rb") as handle:
            return _count_lines(handle, self.size) + (2 if self.torn else 1)


def append(path: Path, make: Callable[[Tail], bytes | None]) -> bytes | None:
    """Under an exclusive lock, hand the file's end to `make` and append the line it returns (None:
    nothing), flushed to the disk. Returns the line written."""
    if not path.parent.is_dir():
        raise FileNotFoundError(f"the folder of the checkpoint file does not exist: {path.parent}")
    created = not path.exists()
    fd = os.open(path, os.O_RDWR | os.O_APPEND | os.O_CREAT | getattr(os, "O_CLOEXEC", 0), 0o640)
    try:
        if fcntl is not None:
            fcntl.flock(fd, fcntl.LOCK_EX)
        tail = Tail(fd)
        line = make(tail)
        if line is None:
            return None
        if b"\n" in line:
            raise ValueError("a checkpoint is one line")
        data = (b"\n" if tail.torn else b"") + line + b"\n"  # a line cut short is ended first
        while data:
            data = data[os.write(fd, data):]
        os.fsync(fd)
        if created:
            _sync_folder(path.parent)
        return line
    finally:
        os.close(fd)  # closing releases the lock


def read(path: Path, number: int | None = None) -> tuple[int, bytes]:
    """(line number from 1, the line without its newline): line `number`, or the last line."""
    if not path.is_file():
        raise FileNotFoundError(f"no checkpoint file at {path}")
    with path.open("rb") as handle:
        if number is None:
            size = os.fstat(handle.fileno()).st_size
            line = _last_line(handle.fileno(), size)
            if line is None:
                raise LookupError(f"{path} holds no checkpoint yet")
            start = size - len(line) - (1 if _ends_with_newline(handle.fileno(), size) else 0)
            return _count_lines(handle, start) + 1, line
        if number < 1:
            raise LookupError("checkpoint lines are numbered from 1")
        for index, raw in enumerate(handle, 1):
            if index == number:
                return number, raw.rstrip(b"\n")
    raise LookupError(f"{path} has fewer than {number} lines")


def _ends_with_newline(fd: int, size: int) -> bool:
    return size > 0 and os.pread(fd, 1, size - 1) == b"\n"


def _last_line(fd: int, size: int) -> bytes | None:
    """The last line (without its newline), read backwards from the end; None for an empty file."""
    end = size - 1 if _ends_with_newline(fd, size) else size
    if end <= 0:
        return None
    chunks, position = [], end
    while position > 0:
        step = min(_BLOCK, position)
        position -= step
        block = os.pread(fd, step, position)
        cut = block.rfind(b"\n")
        if cut >= 0:
            chunks.append(block[cut + 1:])
            break
        chunks.append(block)
    return b"".join(reversed(chunks))


def _count_lines(handle, end: int) -> int:
    """Newlines in the first `end` bytes."""
    handle.seek(0)
    count, left = 0, end
    while left > 0:
        block = handle.read(min(_BLOCK * 16, left))
        if not block:
            break
        count += block.count(b"\n")
        left -= len(block)
    return count


def _sync_folder(folder: Path) -> None:
    """Make a new file's name durable too (where the platform allows)."""
    try:
        fd = os.open(folder, os.O_RDONLY)
    except OSError:  # pragma: no cover
        return
    try:
        os.fsync(fd)
    except OSError:  # pragma: no cover
        pass
    finally:
        os.close(fd)
