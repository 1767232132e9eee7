"""Small real files for the attachment tests, made on the fly: photos, a PDF scan, an Office document, and
files that lie about what they are."""
from __future__ import annotations

import io
import zipfile

from procedures.samples import pdf, png  # noqa: F401 (the same photos and scans the demo attaches)


def docx() -> bytes:
    """The parts that make a zip a Word document."""
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as archive:
        archive.writestr("[Content_Types].xml", "<Types/>")
        archive.writestr("word/document.xml", "<w:document/>")
    return out.getvalue()


def plain_zip() -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as archive:
        archive.writestr("readme.txt", "not a Word document")
    return out.getvalue()


HTML = b"<!doctype html><html><body><script>alert(document.cookie)</script></body></html>"
