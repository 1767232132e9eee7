"""What an operator may set about attachments (read from the environment each time an engine is made):
the accepted kinds, the largest file, and how many files a request may hold."""
from __future__ import annotations

import os
from dataclasses import dataclass

from .kinds import KINDS

MB = 1024 * 1024


@dataclass(frozen=True)
class Limits:
    kinds: tuple[str, ...] = tuple(KINDS)   # accepted extensions
    max_bytes: int = 20 * MB                # per file
    per_request: int = 30                   # files a request holds (removed ones not counted)
    staged: int = 30                        # files one person has uploaded for start forms and not yet used

    @classmethod
    def from_env(cls) -> Limits:
        """APPROVALS_ATTACHMENT_TYPES (extensions, comma-separated), APPROVALS_ATTACHMENT_MAX_MB,
        APPROVALS_ATTACHMENTS_PER_REQUEST; ValueError names a setting that makes no sense."""
        default = cls()
        kinds = default.kinds
        if os.environ.get("APPROVALS_ATTACHMENT_TYPES"):
            kinds = tuple(dict.fromkeys(k.strip().lower().lstrip(".")
                                        for k in os.environ["APPROVALS_ATTACHMENT_TYPES"].split(",") if k.strip()))
            unknown = [k for k in kinds if k not in KINDS]
            if unknown:
                raise ValueError(f"APPROVALS_ATTACHMENT_TYPES: no such kind {', '.join(unknown)} "
                                 f"(known: {', '.join(KINDS)})")
        max_mb = float(os.environ.get("APPROVALS_ATTACHMENT_MAX_MB") or default.max_bytes / MB)
        per_request = int(os.environ.get("APPROVALS_ATTACHMENTS_PER_REQUEST") or default.per_request)
        if max_mb <= 0 or per_request < 1:
            raise ValueError("APPROVALS_ATTACHMENT_MAX_MB and APPROVALS_ATTACHMENTS_PER_REQUEST must be positive")
        return cls(kinds, int(max_mb * MB), per_request, per_request)

    @property
    def size_text(self) -> str:
        return f"{self.max_bytes / MB:g} MB" if self.max_bytes >= MB else f"{self.max_bytes // 1024} KB"
