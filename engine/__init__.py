"""The approval engine: BPMN on SpiffWorkflow, state and audit in SQL. No web code in here.

This module is the engine's public surface: the web layer (and any other client) imports from here only.
Each name is imported on first use, so a command that needs none of them (`approvals --help`) does not
pay for SpiffWorkflow and SQLAlchemy.
"""
from __future__ import annotations

from importlib import import_module
from typing import Any

# public name -> (module, name in that module)
_EXPORTS = {
    "Change": (".authoring.changes", "Change"),
    "default_url": (".storage.db", "default_url"),
    "make_engine": (".storage.db", "make_engine"),
    "upgrade": (".storage.db", "upgrade"),
    "Engine": (".engine", "Engine"),
    **{name: (".errors", name) for name in ("Conflict", "EngineError", "EventRefused", "FieldError", "FormInvalid",
                                            "NotAllowed", "NotFound", "ScriptFailed", "SpecInvalid", "SpecProblem")},
    "FormView": (".authoring.forms", "FormView"),
    "validate_form": (".authoring.forms", "validate"),
    "DeliveryView": (".messaging", "DeliveryView"),
    "StartPlanView": (".messaging", "StartPlanView"),
    "TaskPage": (".pages", "TaskPage"),
    **{name: (".authoring.replaying", name) for name in ("ReplayReport", "RequestReplay")},
    "ReplayOutcome": (".authoring.replay", "ReplayOutcome"),
    "KeysetPage": (".keyset", "KeysetPage"),
    "TemplateFailed": (".runtime.templates", "TemplateFailed"),
    "render_template": (".runtime.templates", "render"),
    "lookup_path": (".search", "lookup"),
    "SourceFile": (".authoring.specs", "SourceFile"),
    "identify": (".authoring.specs", "identify"),
    **{name: (".authoring.versioning", name) for name in ("DraftView", "FilePreview", "MigrationCheck",
                                                          "VersionStats")},
    "AttachmentView": (".staples.attachments", "AttachmentView"),
    "FileMissing": (".files.store", "FileMissing"),
    "BulkResult": (".staples.bulk", "BulkResult"),
    "Comment": (".staples.comments", "Comment"),
    "SEE_ALL_GROUPS": (".access", "SEE_ALL_GROUPS"),
    "ReturnTarget": (".staples.returning", "ReturnTarget"),
    "SideTaskView": (".staples.side_tasks", "SideTaskView"),
    "SignerChoice": (".staples.signers", "SignerChoice"),
    "GroupLoad": (".team", "GroupLoad"),
    "ReportView": (".reports", "ReportView"),
    "TeamOverview": (".team", "TeamOverview"),
    "NewToken": (".tokens", "NewToken"),
    "NoticeView": (".notices", "NoticeView"),
    "DocumentSheet": (".documents", "DocumentSheet"),
    "DocumentView": (".documents", "DocumentView"),
    "LookupItem": (".extensions", "LookupItem"),
    "TokenView": (".tokens", "TokenView"),
    **{name: (".views", name) for name in ("AuditView", "DefinitionView", "InstanceView", "TaskView",
                                           "to_jsonable")},
}

__all__ = sorted(_EXPORTS)


def __getattr__(name: str) -> Any:
    if name not in _EXPORTS:
        raise AttributeError(f"module 'engine' has no attribute {name!r}")
    module, attribute = _EXPORTS[name]
    value = getattr(import_module(module, __name__), attribute)
    globals()[name] = value  # the next lookup is a plain attribute
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(_EXPORTS))
