"""Content-addressed file storage: bytes are kept under their sha256, so the same photo attached twice is
stored once and a file changed on disk is noticed when read. `FileStore` is the interface (an S3-compatible
store would implement the same three methods); `DiskStore` keeps files in a folder, by default `files/` in
the instance folder (`APPROVALS_FILES_DIR` names another)."""
from __future__ import annotations

import hashlib
import os
import re
import tempfile
from pathlib import Path
from typing import Protocol

from ..errors import EngineError

_SHA256 = re.compile(r"[0-9a-f]{64}")


class FileMissing(EngineError):
    """The bytes of a recorded file are not in the store, or no longer match their sha256."""

    code = "file_missing"


class FileStore(Protocol):
    """Where attachments' bytes live, addressed by their sha256 (lowercase hex)."""

    def put(self, data: bytes) -> str:
        """Keep `data`; returns its sha256. Storing bytes already there changes nothing."""

    def get(self, sha256: str) -> bytes:
        """The bytes stored under `sha256`; FileMissing when absent or altered."""

    def exists(self, sha256: str) -> bool:
        """Whether bytes are stored under `sha256`."""


def default_dir() -> Path:
    """APPROVALS_FILES_DIR, else `files/` in the instance folder (APPROVALS_INSTANCE_DIR)."""
    configured = os.environ.get("APPROVALS_FILES_DIR")
    if configured:
        return Path(configured)
    return Path(os.environ.get("APPROVALS_INSTANCE_DIR", "instance")) / "files"


class DiskStore:
    """Files in a folder, two levels of fan-out (`ab/cd/abcd…`); written to a temporary file, synced and
    renamed into place, so a reader never sees half a file and several processes may store at once."""

    def __init__(self, root: Path | str):
        self.root = Path(root)

    def _path(self, sha256: str) -> Path:
        if not _SHA256.fullmatch(sha256):
            raise ValueError(f"not a sha256: {sha256!r}")
        return self.root / sha256[:2] / sha256[2:4] / sha256

    def put(self, data: bytes) -> str:
        sha256 = hashlib.sha256(data).hexdigest()
        path = self._path(sha256)
        if path.is_file():
            return sha256
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, temporary = tempfile.mkstemp(dir=path.parent, prefix=".incoming-")
        try:
            with os.fdopen(fd, "wb") as handle:
                handle.write(data)
                handle.flush()
                os.fsync(handle.fileno())
            os.chmod(temporary, 0o440)
            os.replace(temporary, path)
        except BaseException:
            Path(temporary).unlink(missing_ok=True)
            raise
        return sha256

    def get(self, sha256: str) -> bytes:
        try:
            data = self._path(sha256).read_bytes()
        except FileNotFoundError:
            raise FileMissing(f"the file {sha256} is not in the store", "missing") from None
        if hashlib.sha256(data).hexdigest() != sha256:
            raise FileMissing(f"the file {sha256} was changed on disk", "altered")
        return data

    def exists(self, sha256: str) -> bool:
        return self._path(sha256).is_file()
