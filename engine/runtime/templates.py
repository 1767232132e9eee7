"""Documentation templates (Jinja2, sandboxed) over task data, under the same budgets as scripts.

A template that only prints fields (`{{ name }}`, `{{ order.qty | default('-') }}`) renders in the
engine's process; one with tags, arithmetic or calls renders in the sandbox process, where a loop that
never ends or a string of ten billion characters is stopped like a script would be.
"""
from __future__ import annotations

import re
from typing import Any, Mapping

from jinja2.sandbox import SandboxedEnvironment

from . import sandbox
from .budget import Budget

# Autoescape: the documentation is written by process owners, but the data came from other users' forms.
_ENV = SandboxedEnvironment(autoescape=True)
_FILTER = r"(?:e|escape|upper|lower|title|trim|length|string|default\(\s*(?:'[^'{}]*'|\"[^\"{}]*\"|\d+)?\s*\))"
_PLAIN_FIELD = re.compile(r"\s*[A-Za-z_]\w*(?:\.\w+|\[\s*(?:'[^'\]]*'|\"[^\"\]]*\"|\d+)\s*\])*\s*"
                          rf"(?:\|\s*{_FILTER}\s*)*")
_OUTPUT = re.compile(r"\{\{(.*?)\}\}", re.S)


class TemplateFailed(Exception):
    """The template could not be rendered (a syntax error, a refused operation, or its budget)."""


def prints_fields_only(source: str) -> bool:
    """True when the template has no tags or comments and each output prints one field."""
    if "{%" in source or "{#" in source:
        return False
    return all(_PLAIN_FIELD.fullmatch(body) for body in _OUTPUT.findall(source))


def render_here(source: str, data: Mapping[str, Any]) -> str:
    """Render in this process (the sandbox process, or a template that only prints fields)."""
    return _ENV.from_string(source).render(dict(data))


def render(source: str, data: Mapping[str, Any], budget: Budget | None = None) -> str:
    """The rendered template (HTML-escaped values); raises TemplateFailed with the reason."""
    try:
        if prints_fields_only(source):
            return render_here(source, data)
        return sandbox.run("render", source, dict(data), budget=budget)
    except Exception as exc:  # noqa: BLE001 - syntax, a refused operation, the budget: never the page's 500
        raise TemplateFailed(str(exc) or type(exc).__name__) from exc
