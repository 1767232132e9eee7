"""A QR code for printed paper: the request's address, as inline SVG (no image file, nothing fetched)."""
from __future__ import annotations

import segno
from markupsafe import Markup


def qr_svg(url: str, title: str = "") -> Markup:
    """An SVG QR code (error correction M, 3 px modules) that opens `url`; `title` is its accessible name."""
    code = segno.make(url, error="m", micro=False)
    svg = code.svg_inline(scale=3, border=2, title=title or None, svgclass="qr", lineclass=None)
    return Markup(svg)
