"""The engine's errors: one root, one class per kind of refusal."""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any


class EngineError(Exception):
    """Root of every error the engine raises on purpose.

    `reason` is a stable code a caller can translate (e.g. "completed", "self_approval"); `holder` names
    the user involved (who completed or holds the task), when there is one.
    """

    code = "engine_error"

    def __init__(self, message: str, reason: str | None = None, holder: str | None = None):
        super().__init__(message)
        self.message = message
        self.reason = reason
        self.holder = holder


class NotFound(EngineError):
    """The named process, instance, task or user does not exist."""

    code = "not_found"


class NotAllowed(EngineError):
    """The user may not do this."""

    code = "not_allowed"


class Conflict(EngineError):
    """Someone else changed the instance first, or the task is no longer open."""

    code = "conflict"


@dataclass(frozen=True)
class FieldError:
    """One problem with one submitted field."""

    field: str
    code: str
    message: str
    limit: Any = None  # the rule's own value (minLength 7, maximum 200, const True), for messages that say it


class FormInvalid(EngineError):
    """Submitted data does not satisfy the task's form."""

    code = "form_invalid"

    def __init__(self, errors: list[FieldError]):
        self.errors = errors
        super().__init__("; ".join(f"{e.field or '(form)'}: {e.message}" for e in errors))

    def by_field(self) -> dict[str, str]:
        """The first message for each field."""
        out: dict[str, str] = {}
        for e in self.errors:
            out.setdefault(e.field, e.message)
        return out


@dataclass(frozen=True)
class SpecProblem:
    """One problem found while checking a BPMN or DMN file."""

    file: str
    element: str | None
    reason: str
    line: int | None = None
    name: str | None = None
    # a stable code for callers that explain problems in other words: doctype, malformed, schema,
    # process_count, no_decision, unknown_lane, unknown_call, unknown_operator, form, expression,
    # timer, gateway, parse
    # also: unnamed_lane (a lane without a name), unsupported (an element SpiffWorkflow does not run end to
    # end: link, conditional and compensation events, ad-hoc subprocesses, data stores, complex gateways),
    # recursive_call (a call activity from which its own process is reached again)
    code: str = "parse"

    def __str__(self) -> str:
        where = self.file
        if self.line:
            where += f":{self.line}"
        if self.element:
            where += f" [{self.element}{' ' + self.name if self.name else ''}]"
        return f"{where}: {self.reason}"


class SpecInvalid(EngineError):
    """A definition file was refused; nothing was deployed."""

    code = "spec_invalid"

    def __init__(self, problems: list[SpecProblem]):
        self.problems = problems
        super().__init__("; ".join(str(p) for p in problems))


class ScriptFailed(EngineError):
    """An expression or script failed or was refused by the sandbox."""

    code = "script_failed"

    def __init__(self, message: str, element: str | None = None):
        self.element = element
        super().__init__(f"{element}: {message}" if element else message)


class EventRefused(EngineError):
    """A waiting instance could not take a message: its correlation cannot be read from the payload."""

    code = "event_refused"
