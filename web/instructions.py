"""A task's instructions: its BPMN documentation rendered as a sandboxed Jinja2 template over the task data."""
from __future__ import annotations

from typing import Any, Mapping

from jinja2 import TemplateError
from jinja2.sandbox import SandboxedEnvironment
from markupsafe import Markup, escape

# Autoescape: the documentation is written by process owners, but the data came from other users' forms.
_SANDBOX = SandboxedEnvironment(autoescape=True)


def render(documentation: str, data: Mapping[str, Any]) -> Markup:
    """The instructions as safe HTML; a template that fails shows as its plain text."""
    if not documentation:
        return Markup("")
    try:
        return Markup(_SANDBOX.from_string(documentation).render(dict(data)))
    except (TemplateError, TypeError, ValueError, ArithmeticError):
        # SecurityError is a TemplateError: a refused template is shown, never run.
        return escape(documentation)
