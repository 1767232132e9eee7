"""Every BPMN expression and script runs here, under RestrictedPython.

Code is compiled with `compile_restricted` (no imports, no names or attributes starting with `_`),
cached per source text, and run with guarded attribute, item and iteration access. Helpers are plain
functions exposed by name; no module is ever handed to a script.

The sandbox matches itself: what `compile_code` (and so the deploy check) accepts has every name it
needs at run time, and what could never run (`print`, `locals`, `open`, classes, `with`, `str.format`)
is refused when the definition is checked, with the reason, instead of failing in a running instance.
"""
from __future__ import annotations

import ast
import copy
import json
from functools import lru_cache
from typing import Any, Mapping

from RestrictedPython import compile_restricted_eval, compile_restricted_exec, safe_builtins
from RestrictedPython.Eval import default_guarded_getitem, default_guarded_getiter
from RestrictedPython.Guards import (
    full_write_guard,
    guarded_iter_unpack_sequence,
    guarded_unpack_sequence,
    safer_getattr_raise,
)
from RestrictedPython.transformer import RestrictingNodeTransformer, copy_locations
from SpiffWorkflow.bpmn.exceptions import WorkflowTaskException
from SpiffWorkflow.bpmn.script_engine import PythonScriptEngine, TaskDataEnvironment

from . import helpers, sandbox
from ..errors import ScriptFailed
from .budget import GUARDS, IN_PLACE, guarded_round
from .bounded import is_bounded
from .operators import BUILTIN, Operator, OperatorContext, call_operator

_EXTRA_BUILTINS = dict(all=all, any=any, sum=sum, min=min, max=max, len=len, sorted=sorted, dict=dict,
                       list=list, set=set, frozenset=frozenset, enumerate=enumerate, reversed=reversed,
                       zip=zip, map=map, filter=filter, range=range, round=guarded_round, abs=abs, str=str,
                       int=int, float=float, bool=bool, tuple=tuple)

_NO_CONSOLE = "scripts have no console; results go to task data"
_NO_INTROSPECTION = "scripts see task data by name only"
_NO_CODE = "scripts cannot run generated code"
# Names a script may never use, with the reason: they do not exist in the sandbox (or, for `print` and
# `printed`, RestrictedPython rewrites them into a print collector the engine does not provide).
UNAVAILABLE_NAMES = {
    "print": _NO_CONSOLE, "printed": _NO_CONSOLE, "input": _NO_CONSOLE, "help": _NO_CONSOLE,
    "breakpoint": _NO_CONSOLE, "exit": _NO_CONSOLE, "quit": _NO_CONSOLE,
    "locals": _NO_INTROSPECTION, "vars": _NO_INTROSPECTION, "globals": _NO_INTROSPECTION,
    "dir": _NO_INTROSPECTION,
    "exec": _NO_CODE, "eval": _NO_CODE, "compile": _NO_CODE,
    "open": "scripts have no files",
    "__import__": "imports are not allowed",
}


class _SandboxRules(ast.NodeVisitor):
    """What RestrictedPython would compile but the sandbox could never run; raises SyntaxError."""

    @staticmethod
    def refuse(node, reason: str):
        raise SyntaxError(f"Line {getattr(node, 'lineno', 1)}: {reason}")

    def visit_Import(self, node):  # noqa: N802 - ast API
        self.refuse(node, "imports are not allowed")

    visit_ImportFrom = visit_Import

    def visit_Name(self, node):  # noqa: N802
        if isinstance(node.ctx, ast.Load) and node.id in UNAVAILABLE_NAMES:
            self.refuse(node, f'"{node.id}" is not available: {UNAVAILABLE_NAMES[node.id]}')

    def visit_ClassDef(self, node):  # noqa: N802
        self.refuse(node, "class definitions are not supported in scripts: use dicts and functions")

    def visit_With(self, node):  # noqa: N802
        self.refuse(node, "with statements are not supported: nothing in a script is a context manager")

    def visit_Attribute(self, node):  # noqa: N802
        if node.attr in ("format", "format_map"):
            self.refuse(node, f"str.{node.attr} is not allowed in scripts: use an f-string")
        self.generic_visit(node)


_GUARDED_OPS = {ast.Add: "_add_", ast.Mult: "_mult_", ast.Pow: "_pow_", ast.LShift: "_lshift_", ast.Mod: "_mod_"}


class GuardedTransformer(RestrictingNodeTransformer):
    """RestrictedPython's rules, and `a + b`, `a * b`, `a ** b`, `a << b`, `a % b` through the size
    guards of budget.py (augmented assignment goes through `_inplacevar_`, guarded the same way)."""

    def visit_BinOp(self, node):  # noqa: N802 - ast API
        node = self.node_contents_visit(node)
        guard = _GUARDED_OPS.get(type(node.op))
        if guard is None:
            return node
        call = ast.Call(func=ast.Name(guard, ast.Load()), args=[node.left, node.right], keywords=[])
        copy_locations(call, node)
        return call


def _first_line(message: str) -> str:
    return " ".join(str(message).split())


@lru_cache(maxsize=4096)
def compile_code(source: str, mode: str):
    """Compile once per source text; raise SyntaxError naming (one line) what the sandbox refuses."""
    try:
        tree = ast.parse(source, mode=mode)
        _SandboxRules().visit(tree)
        compile_mode = compile_restricted_eval if mode == "eval" else compile_restricted_exec
        result = compile_mode(source, policy=GuardedTransformer)
    except SyntaxError:
        raise
    except (RecursionError, MemoryError):
        raise SyntaxError("cannot be compiled: nested too deeply") from None
    except ValueError as exc:  # e.g. null bytes on older Pythons
        raise SyntaxError(_first_line(f"cannot be compiled: {exc}")) from None
    if result.errors:
        raise SyntaxError(_first_line(result.errors[0]))
    return result.code


def check_source(source: str, mode: str) -> str | None:
    """The reason (one line) a script or expression would be refused, or None."""
    try:
        compile_code(source, mode)
    except SyntaxError as exc:
        return _first_line(exc.msg if exc.msg else str(exc))
    return None


def _apply(func, *args, **kwargs):
    """`f(*args)` and `f(**kwargs)` compile to `_apply_(f, ...)`; the call itself is plain."""
    return func(*args, **kwargs)


def _base_globals() -> dict[str, Any]:
    builtins = dict(safe_builtins)
    builtins.update(_EXTRA_BUILTINS)
    return {
        "__builtins__": builtins,
        # every name RestrictedPython's compiled code calls (see RestrictedPython.transformer)
        "_getattr_": safer_getattr_raise,  # a missing attribute raises, as in Python (not None)
        "_getitem_": default_guarded_getitem,
        "_getiter_": default_guarded_getiter,
        "_iter_unpack_sequence_": guarded_iter_unpack_sequence,
        "_unpack_sequence_": guarded_unpack_sequence,
        "_apply_": _apply,
        "_write_": full_write_guard,
        "_inplacevar_": lambda op, x, y: IN_PLACE[op](x, y),
        **GUARDS,
        **helpers.EXPOSED,
    }


class RestrictedEnvironment(TaskDataEnvironment):
    """SpiffWorkflow's task-data environment, with restricted compilation and operator calls.

    Code whose cost `bounded.is_bounded` can read from its shape runs here; the rest runs in the sandbox
    process under the time and memory budget (`isolate=False` is the sandbox process itself)."""

    def __init__(self, context: OperatorContext | None = None, operators: Mapping[str, Operator] | None = None,
                 isolate: bool = True):
        super().__init__(_base_globals())
        self.context = context
        self.operators = BUILTIN if operators is None else operators
        self.isolate = isolate

    def evaluate(self, expression, context, external_context=None):
        if self.isolate and not is_bounded(expression, "eval"):
            compile_code(expression, "eval")  # a refused expression fails here, with its reason
            return sandbox.run("eval", expression, context, external_context)
        scope = copy.copy(self.globals)
        scope.update(external_context or {})
        scope.update(context)
        return eval(compile_code(expression, "eval"), scope)  # noqa: S307 - restricted bytecode

    def execute(self, script, context, external_context=None):
        self.check_for_overwrite(context, external_context or {})
        if self.isolate and not is_bounded(script, "exec"):
            compile_code(script, "exec")
            result = sandbox.run("exec", script, context, external_context)
            context.clear()
            context.update(result)
            return True
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
        return json.dumps(call_operator(self.operators, operation_name, self.context, params), ensure_ascii=False,
                          default=str)


class ScriptEngine(PythonScriptEngine):
    """The script engine attached to every workflow the engine loads."""

    def __init__(self, context: OperatorContext | None = None, operators: Mapping[str, Operator] | None = None):
        super().__init__(environment=RestrictedEnvironment(context, operators))

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
