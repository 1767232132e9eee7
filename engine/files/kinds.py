"""The kinds of file people may attach, each told by its name's extension and confirmed by its first bytes:
a `.pdf` that is really HTML, or a photo that is really a script, is refused. The media type served back is
the kind's own, never what the uploader's browser claimed."""
from __future__ import annotations

import io
import zipfile
from dataclasses import dataclass
from typing import Callable

OLE = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"  # the container of the older Office formats (.doc, .xls, .ppt)


def _ooxml(folder: str) -> Callable[[bytes], bool]:
    """An Office Open XML file: a zip whose parts say it is a document of that application."""
    def check(data: bytes) -> bool:
        if not data.startswith(b"PK\x03\x04"):
            return False
        try:
            with zipfile.ZipFile(io.BytesIO(data)) as archive:
                names = archive.namelist()
        except (zipfile.BadZipFile, ValueError):
            return False
        return "[Content_Types].xml" in names and any(n.startswith(folder) for n in names)
    return check


@dataclass(frozen=True)
class Kind:
    """One accepted kind of file."""

    media_type: str
    label: str  # what people call it, in the refusal that lists what is accepted
    matches: Callable[[bytes], bool]
    preview: bool = False  # shown in the browser (an image inline, a PDF in its viewer)


KINDS: dict[str, Kind] = {
    "pdf": Kind("application/pdf", "PDF", lambda d: d.startswith(b"%PDF-"), preview=True),
    "jpg": Kind("image/jpeg", "JPEG", lambda d: d.startswith(b"\xff\xd8\xff"), preview=True),
    "jpeg": Kind("image/jpeg", "JPEG", lambda d: d.startswith(b"\xff\xd8\xff"), preview=True),
    "png": Kind("image/png", "PNG", lambda d: d.startswith(b"\x89PNG\r\n\x1a\n"), preview=True),
    "gif": Kind("image/gif", "GIF", lambda d: d[:6] in (b"GIF87a", b"GIF89a"), preview=True),
    "webp": Kind("image/webp", "WebP", lambda d: d[:4] == b"RIFF" and d[8:12] == b"WEBP", preview=True),
    "doc": Kind("application/msword", "Word", lambda d: d.startswith(OLE)),
    "xls": Kind("application/vnd.ms-excel", "Excel", lambda d: d.startswith(OLE)),
    "ppt": Kind("application/vnd.ms-powerpoint", "PowerPoint", lambda d: d.startswith(OLE)),
    "docx": Kind("application/vnd.openxmlformats-officedocument.wordprocessingml.document", "Word",
                 _ooxml("word/")),
    "xlsx": Kind("application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", "Excel", _ooxml("xl/")),
    "pptx": Kind("application/vnd.openxmlformats-officedocument.presentationml.presentation", "PowerPoint",
                 _ooxml("ppt/")),
}


def extension(filename: str) -> str:
    """The name's extension, lowercase, without the dot ("" when there is none)."""
    stem, dot, ext = filename.rpartition(".")
    return ext.lower() if dot and stem else ""


def previewable(media_type: str) -> bool:
    return any(k.preview and k.media_type == media_type for k in KINDS.values())
