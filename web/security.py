"""Response headers that keep pages out of frames and scripts to our own files."""
from __future__ import annotations

from flask import Flask, Response

# bpmn-js writes inline styles into its SVG, hence 'unsafe-inline' for styles only; scripts stay 'self'.
CSP = ("default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; "
       "font-src 'self' data:; object-src 'none'; base-uri 'self'; form-action 'self'; frame-ancestors 'none'")


def init_app(app: Flask) -> None:
    @app.after_request
    def _headers(response: Response) -> Response:
        response.headers.setdefault("Content-Security-Policy", CSP)
        response.headers.setdefault("X-Content-Type-Options", "nosniff")
        response.headers.setdefault("X-Frame-Options", "DENY")
        response.headers.setdefault("Referrer-Policy", "same-origin")
        if response.mimetype == "text/html":
            # Pages show personal task data: never keep them in a shared cache.
            response.headers.setdefault("Cache-Control", "no-store")
        return response
