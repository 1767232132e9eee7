"""The approval engine: BPMN on SpiffWorkflow, state and audit in SQL. No web code in here."""
from .engine import Engine
from .errors import Conflict, EngineError, FormInvalid, NotAllowed, NotFound, ScriptFailed, SpecInvalid

__all__ = ["Engine", "EngineError", "NotFound", "NotAllowed", "Conflict", "FormInvalid",
           "SpecInvalid", "ScriptFailed"]
