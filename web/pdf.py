"""HTML to PDF on the server, by headless Chromium's own printing (the CJK font and the print stylesheet the
browser tests already use), as a subprocess under a time budget: no request waits on unbounded work."""
from __future__ import annotations

import os
import shutil
import signal
import subprocess
import tempfile
from pathlib import Path

CANDIDATES = ("chromium", "chromium-browser", "google-chrome")
DEFAULT_SECONDS = 30.0


class PdfUnavailable(Exception):
    """No PDF could be made; `reason` says why (no_renderer, timeout, failed)."""

    def __init__(self, reason: str, detail: str = ""):
        super().__init__(f"{reason}: {detail}" if detail else reason)
        self.reason = reason


def renderer() -> str | None:
    """The Chromium to print with: APPROVALS_CHROMIUM, else the first on PATH (None: none installed)."""
    configured = os.environ.get("APPROVALS_CHROMIUM")
    if configured:
        return configured if os.access(configured, os.X_OK) else None
    return next((found for name in CANDIDATES if (found := shutil.which(name))), None)


def budget() -> float:
    """Seconds one PDF may take (APPROVALS_PDF_SECONDS)."""
    try:
        return max(1.0, float(os.environ.get("APPROVALS_PDF_SECONDS") or DEFAULT_SECONDS))
    except ValueError:
        return DEFAULT_SECONDS


def html_to_pdf(html: str) -> bytes:
    """The PDF of a self-contained HTML page (no outside resources are fetched)."""
    chromium = renderer()
    if chromium is None:
        raise PdfUnavailable("no_renderer", "Chromium is not installed (or APPROVALS_CHROMIUM is not executable)")
    with tempfile.TemporaryDirectory(prefix="approvals-pdf-") as work:
        page, out = Path(work) / "page.html", Path(work) / "page.pdf"
        page.write_text(html, encoding="utf-8")
        command = [chromium, "--headless", "--no-sandbox", "--disable-gpu", "--disable-extensions",
                   "--disable-background-networking", "--no-first-run", "--no-pdf-header-footer",
                   f"--user-data-dir={Path(work) / 'profile'}",
                   f"--print-to-pdf={out}", page.as_uri()]
        try:
            # a session of its own, so that on timeout the whole group (renderer, helpers) is ended
            proc = subprocess.Popen(command, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                                    stderr=subprocess.PIPE, start_new_session=True)
        except OSError as exc:
            raise PdfUnavailable("no_renderer", str(exc)) from exc
        try:
            _out, err = proc.communicate(timeout=budget())
        except subprocess.TimeoutExpired as exc:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.communicate()
            raise PdfUnavailable("timeout", f"Chromium took more than {budget():.0f} s") from exc
        if not out.is_file() or out.stat().st_size == 0:
            tail = err.decode("utf-8", "replace").strip().splitlines()[-1:] or [f"exit {proc.returncode}"]
            raise PdfUnavailable("failed", tail[0])
        return out.read_bytes()
