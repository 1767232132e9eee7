"""Every BPMN expression and script runs here, under RestrictedPython.

Code is compiled with `compile_restricted` (no imports, no names or attributes starting with `_`),
cached per source text, and run with guarded attribute, item and iteration access. Helpers are plain
functions exposed by name; no module is ever handed to a script.
"""
from __future__ import annotations

import ast
import copy
import json
import operator as _op
from functools import lru_cache
from typing import Any

from RestrictedPython import compile_restricted_eval, compile_restricted_exec, safe_builtins
from RestrictedPython.Eval import default_guarded_getitem, default_guarded_getiter
from RestrictedPython.Guards import full_write_guard, guarded_iter_unpack_sequence, safer_getattr
from SpiffWorkflow.bpmn.exceptions import WorkflowTaskException
from SpiffWorkflow.bpmn.script_engine import PythonScriptEngine, TaskDataEnvironment

from . import helpers
from .errors import ScriptFailed
from .operators import OperatorContext, call_operator

_INPLACE = {"+=": _op.add, "-=": _op.sub, "*=": _op.mul, "/=": _op.truediv, "//=": _op.floordiv,
            "%=": _op.mod, "**=": _op.pow, "|=": _op.or_, "&=": _op.and_}

_EXTRA_BUILTINS = dict(all=all, any=any, sum=sum, min=min, max=max, len=len, sorted=sorted, dict=dict,
                       list=list, set=set, enumerate=enumerate, reversed=reversed, zip=zip, range=range,
                       round=round, abs=abs, str=str, int=int, float=float, bool=bool, tuple=tuple)


class _NoImports(ast.NodeVisitor):
    def visit_Import(self, node):  # noqa: N802 - ast API
        raise SyntaxError(f"Line {node.lineno}: imports are not allowed")

    visit_ImportFrom = visit_Import


@lru_cache(maxsize=4096)
def compile_code(source: str, mode: str):
    """Compile once per source text; raise SyntaxError naming what the sandbox refuses."""
    _NoImports().visit(ast.parse(source, mode=mode))
    result = compile_restricted_eval(source) if mode == "eval" else compile_restricted_exec(source)
    if result.errors:
        raise SyntaxError("; ".join(result.errors))
    return result.code


def check_source(source: str, mode: str) -> str | None:
    """The reason a script or expression would be refused, or None."""
    try:
        compile_code(source, mode)
    except SyntaxError as exc:
        return exc.msg if exc.msg else str(exc)
    return None


def _base_globals() -> dict[str, Any]:
    builtins = dict(safe_builtins)
    builtins.update(_EXTRA_BUILTINS)
    return {
        "__builtins__": builtins,
        "_getattr_": safer_getattr,
        "_getitem_": default_guarded_getitem,
        "_getiter_": default_guarded_getiter,
        "_iter_unpack_sequence_": guarded_iter_unpack_sequence,
        "_write_": full_write_guard,
        "_inplacevar_": lambda op, x, y: _INPLACE[op](x, y),
        **helpers.EXPOSED,
    }


class RestrictedEnvironment(TaskDataEnvironment):
    """SpiffWorkflow's task-data environment, with restricted compilation and operator calls."""

    def __init__(self, context: OperatorContext | None = None):
        super().__init__(_base_globals())
        self.context = context

    def evaluate(self, expression, context, external_context=None):
        scope = copy.copy(self.globals)
        scope.update(external_context or {})
        scope.update(context)
        return eval(compile_code(expression, "eval"), scope)  # noqa: S307 - restricted bytecode

    def execute(self, script, context, external_context=None):
        self.check_for_overwrite(context, external_context or {})
        scope = copy.copy(self.globals)
        scope.update(external_context or {})
        context.update(scope)
        try:
            exec(compile_code(script, "exec"), context)  # noqa: S102 - restricted bytecode
        finally:
            self._remove_globals_and_functions_from_context(context, external_context)
        return True

    def _remove_globals_and_functions_from_context(self, context, external_context=None):
        for key in list(context):
            if key in self.globals or key.startswith("_") or callable(context[key]):
                context.pop(key, None)
            elif external_context and key in external_context:
                context.pop(key, None)

    def call_service(self, context, operation_name=None, operation_params=None, **_kwargs):
        params = {name: spec["value"] for name, spec in (operation_params or {}).items()}
        return json.dumps(call_operator(operation_name, self.context, params), ensure_ascii=False, default=str)


class ScriptEngine(PythonScriptEngine):
    """The script engine attached to every workflow the engine loads."""

    def __init__(self, context: OperatorContext | None = None):
        super().__init__(environment=RestrictedEnvironment(context))

    def call_service(self, task, **kwargs):
        # SpiffWorkflow's own error path here references an undefined name; report it properly.
        try:
            return self.environment.call_service(task.data, **kwargs)
        except WorkflowTaskException:
            raise
        except Exception as exc:  # noqa: BLE001 - any operator failure becomes a task error
            raise WorkflowTaskException(f"{exc.__class__.__name__}: {exc}", task=task, exception=exc) from exc


def evaluate(expression: str, data: dict[str, Any] | None = None, element: str | None = None) -> Any:
    """Evaluate one expression outside a workflow (checks, tests); failures raise ScriptFailed."""
    try:
        return RestrictedEnvironment().evaluate(expression, dict(data or {}))
    except Exception as exc:  # noqa: BLE001
        raise ScriptFailed(f"{exc.__class__.__name__}: {exc}", element) from exc


def execute(script: str, data: dict[str, Any] | None = None, element: str | None = None) -> dict[str, Any]:
    """Run one script outside a workflow and return the resulting data; failures raise ScriptFailed."""
    context = dict(data or {})
    try:
        RestrictedEnvironment().execute(script, context)
    except Exception as exc:  # noqa: BLE001
        raise ScriptFailed(f"{exc.__class__.__name__}: {exc}", element) from exc
    return context
