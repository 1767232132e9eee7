"""The approval engine: BPMN on SpiffWorkflow, state and audit in SQL. No web code in here.

This module is the engine's public surface: the web layer (and any other client) imports from here only.
"""
from .authoring.changes import Change
from .storage.db import default_url, make_engine, upgrade
from .engine import Engine
from .errors import (Conflict, EngineError, EventRefused, FieldError, FormInvalid, NotAllowed, NotFound, ScriptFailed,
                     SpecInvalid, SpecProblem)
from .authoring.forms import FormView
from .authoring.forms import validate as validate_form
from .messaging import DeliveryView, StartPlanView
from .pages import TaskPage
from .runtime.templates import TemplateFailed
from .runtime.templates import render as render_template
from .authoring.specs import SourceFile, identify
from .authoring.versioning import DraftView, FilePreview, MigrationCheck, VersionStats
from .tokens import NewToken, TokenView
from .views import AuditView, DefinitionView, InstanceView, TaskView, to_jsonable

__all__ = ["Engine", "EngineError", "NotFound", "NotAllowed", "Conflict", "FormInvalid", "FieldError", "SpecInvalid",
           "SpecProblem", "ScriptFailed", "EventRefused", "Change", "FormView", "validate_form", "DeliveryView",
           "StartPlanView", "TaskPage", "TemplateFailed", "render_template", "SourceFile", "identify", "DraftView", "FilePreview", "MigrationCheck",
           "VersionStats", "NewToken", "TokenView", "AuditView", "DefinitionView", "InstanceView", "TaskView",
           "to_jsonable", "default_url", "make_engine", "upgrade"]
