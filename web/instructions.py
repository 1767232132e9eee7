"""A task's instructions: its BPMN documentation, a sandboxed Jinja2 template over the task data, read as
Markdown and sanitized: process owners write text with emphasis, lists, tables and links, never HTML that
runs (no scripts, event handlers, styles, frames or `javascript:` links)."""
from __future__ import annotations

from datetime import datetime
from typing import Any, Mapping

import markdown
import nh3
from flask_babel import format_datetime
from flask_babel import gettext as _
from markupsafe import Markup, escape

from engine import TemplateFailed, render_template

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
    """The instructions as safe HTML. The template runs under the engine's script budget (values escaped);
    one that fails, is refused or overruns its budget shows as its plain text, with a note saying so."""
    if not documentation:
        return Markup("")
    try:
        return _sanitized(render_template(documentation, {k: _readable(v) for k, v in data.items()}))
    except TemplateFailed:
        note = _("The fields in these instructions could not be filled in; they are shown as written.")
        return Markup('<p class="muted">{}</p><pre class="plain">{}</pre>').format(note, escape(documentation))
