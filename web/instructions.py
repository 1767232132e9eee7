"""A task's instructions: its BPMN documentation, a sandboxed Jinja2 template over the task data, read as
Markdown and sanitized: process owners write text with emphasis, lists, tables and links, never HTML that
runs (no scripts, event handlers, styles, frames or `javascript:` links)."""
from __future__ import annotations

from datetime import datetime
from typing import Any, Mapping

import markdown
import nh3
from flask_babel import format_datetime
from jinja2 import TemplateError
from jinja2.sandbox import SandboxedEnvironment
from markupsafe import Markup, escape

# Autoescape: the documentation is written by process owners, but the data came from other users' forms.
_SANDBOX = SandboxedEnvironment(autoescape=True)
_TAGS = {"p", "br", "strong", "em", "b", "i", "u", "ul", "ol", "li", "code", "pre", "blockquote", "h3", "h4", "h5",
         "h6", "a", "table", "thead", "tbody", "tr", "th", "td", "hr"}


def _sanitized(text: str) -> Markup:
    html = markdown.markdown(text, extensions=["tables", "sane_lists"])
    return Markup(nh3.clean(html, tags=_TAGS, attributes={"a": {"href", "title"}},
                            url_schemes={"http", "https", "mailto"}, link_rel="noopener noreferrer"))


def _readable(value: Any) -> Any:
    """ISO 8601 date-times (as the data keeps them) in the reader's locale and time zone."""
    if isinstance(value, str) and len(value) >= 16 and value[4:5] == "-" and "T" in value:
        try:
            return format_datetime(datetime.fromisoformat(value), "medium")
        except ValueError:
            return value
    return value


def render(documentation: str, data: Mapping[str, Any]) -> Markup:
    """The instructions as safe HTML; a template that fails shows as its plain text."""
    if not documentation:
        return Markup("")
    try:
        return _sanitized(_SANDBOX.from_string(documentation).render({k: _readable(v) for k, v in data.items()}))
    except (TemplateError, TypeError, ValueError, ArithmeticError):
        # SecurityError is a TemplateError: a refused template is shown, never run.
        return escape(documentation)
