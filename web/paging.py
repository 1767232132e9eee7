"""Long lists page by keyset: a page link names the row the neighbouring page starts after (`after`) or ends
before (`before`), so every page costs what the first costs (engine.keyset)."""
from __future__ import annotations

from flask import Request


def anchor_args(request: Request) -> dict[str, int | None]:
    """`after` and `before` from the query string (at most one of them; anything else is the first page)."""
    found: dict[str, int | None] = {"after": None, "before": None}
    for name in found:
        value = request.args.get(name) or ""
        if value.isdigit() and len(value) < 19:
            found[name] = int(value)
            break
    return found
