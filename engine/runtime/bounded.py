"""Which scripts and expressions may run in the engine's own process: those whose cost is linear in the
data they read, by their shape alone.

Such code has no loops, comprehensions over more than one source, functions or lambdas, calls only
functions that are themselves linear (`CALLS`, the engine's helpers, `METHODS` on a value), and builds
large values only through the guarded operators of `budget.py`. A script qualifies when it is a list of
plain assignments, `if`s and `try`s whose expressions qualify and that never read a name the same script
assigned (so no step can feed on the previous step's result and grow it again). Everything else runs in
the sandbox process under the time and memory budget.
"""
from __future__ import annotations

import ast
import builtins
from functools import lru_cache

from . import helpers

# builtins whose cost is linear (or n log n) in their arguments
CALLS = frozenset({"len", "int", "float", "bool", "abs", "round", "min", "max", "sorted", "any", "all", "str",
                   "list", "tuple", "dict", "set", "frozenset", "reversed", "enumerate", "zip"}) | set(helpers.EXPOSED)
# methods of str, dict and list that are linear in the value they are called on
METHODS = frozenset({"get", "keys", "values", "items", "lower", "upper", "strip", "lstrip", "rstrip", "startswith",
                     "endswith", "split", "rsplit", "count", "find", "index", "isdigit", "isalpha", "isoformat",
                     "title", "capitalize", "casefold", "partition", "rpartition", "append", "pop", "copy",
                     "splitlines", "setdefault"})
_LEAVES = (ast.Constant, ast.Load, ast.Store, ast.Del, ast.operator, ast.boolop, ast.unaryop, ast.cmpop,
           ast.keyword, ast.Slice, ast.Starred, ast.ExceptHandler, ast.Pass)
_EXPRESSIONS = (ast.Expression, ast.Expr, ast.BoolOp, ast.BinOp, ast.UnaryOp, ast.Compare, ast.IfExp,
                ast.Subscript, ast.Attribute, ast.Dict, ast.List, ast.Tuple, ast.Set, ast.JoinedStr, ast.Name,
                ast.Call, ast.FormattedValue, ast.GeneratorExp, ast.ListComp, ast.SetComp, ast.comprehension)
_STATEMENTS = (ast.Module, ast.Assign, ast.AugAssign, ast.If, ast.Try)
_BUILTIN_NAMES = frozenset(dir(builtins))


class _Reading(ast.NodeVisitor):
    def __init__(self):
        self.assigned: set[str] = set()
        self.comprehension_depth = 0
        self.local_only: set[str] | None = None  # inside a comprehension: the names it binds

    def generic_visit(self, node):
        if not isinstance(node, _LEAVES + _EXPRESSIONS + _STATEMENTS):
            raise _Unbounded(type(node).__name__)
        super().generic_visit(node)

    def visit_Name(self, node):  # noqa: N802 - ast API
        if isinstance(node.ctx, ast.Load):
            if self.local_only is not None and node.id not in self.local_only and node.id not in CALLS:
                raise _Unbounded(f"reads {node.id} for every item")
            if node.id in self.assigned:
                raise _Unbounded(f"reads {node.id} after assigning it")
            if node.id in _BUILTIN_NAMES and node.id not in CALLS:
                raise _Unbounded(node.id)

    def visit_Call(self, node):  # noqa: N802
        func = node.func
        if isinstance(func, ast.Name):
            if func.id not in CALLS:
                raise _Unbounded(func.id)
        elif not (isinstance(func, ast.Attribute) and func.attr in METHODS):
            raise _Unbounded("call")
        else:
            self.visit(func.value)
        for arg in [*node.args, *node.keywords]:
            self.visit(arg)

    def visit_FormattedValue(self, node):  # noqa: N802
        if node.format_spec is not None:  # a width from the data could be any size
            raise _Unbounded("format spec")
        self.visit(node.value)

    def _comprehension(self, node):
        if len(node.generators) != 1 or self.comprehension_depth:
            raise _Unbounded("nested comprehension")
        # each item's work may depend on the item only: `[v + s for v in items]` would be quadratic
        generator = node.generators[0]
        self.visit(generator.iter)
        self.comprehension_depth += 1
        self.local_only = {n.id for n in ast.walk(generator.target) if isinstance(n, ast.Name)}
        for part in [*generator.ifs, *([node.elt] if hasattr(node, "elt") else [])]:
            self.visit(part)
        self.local_only = None
        self.comprehension_depth -= 1

    visit_GeneratorExp = visit_ListComp = visit_SetComp = _comprehension

    def visit_Assign(self, node):  # noqa: N802
        self.visit(node.value)
        for target in node.targets:
            self._assign(target)

    def visit_AugAssign(self, node):  # noqa: N802
        self.visit(node.value)
        self.visit(ast.Name(node.target.id, ast.Load()) if isinstance(node.target, ast.Name) else node.target)
        self._assign(node.target)

    def _assign(self, target):
        if not isinstance(target, ast.Name):  # an item or attribute write changes a value read elsewhere
            raise _Unbounded("item assignment")
        self.assigned.add(target.id)

    def visit_Try(self, node):  # noqa: N802
        # `try: x except NameError: x = ''` (the conventions' way to default a field) reads x before it
        # assigns it: each block is read with the names assigned before the statement
        before = set(self.assigned)
        for handler in node.handlers:
            if handler.type is not None and not all(isinstance(n, (ast.Name, ast.Tuple, ast.Load))
                                                    for n in ast.walk(handler.type)):
                raise _Unbounded("exception type")
        for block in (node.body, *[h.body for h in node.handlers], node.orelse, node.finalbody):
            self.assigned = set(before)
            for statement in block:
                self.visit(statement)
        self.assigned = before | self._assigned_in(node)

    def visit_If(self, node):  # noqa: N802
        self.visit(node.test)
        before = set(self.assigned)
        for block in (node.body, node.orelse):
            self.assigned = set(before)
            for statement in block:
                self.visit(statement)
        self.assigned = before | self._assigned_in(node)

    @staticmethod
    def _assigned_in(node) -> set[str]:
        return {n.id for n in ast.walk(node) if isinstance(n, ast.Name) and isinstance(n.ctx, ast.Store)}


class _Unbounded(Exception):
    pass


@lru_cache(maxsize=4096)
def is_bounded(source: str, mode: str) -> bool:
    """True when the code may run in the engine's process (see the module's docstring)."""
    try:
        tree = ast.parse(source, mode=mode)
        _Reading().visit(tree)
    except (_Unbounded, SyntaxError, RecursionError, MemoryError, ValueError):
        return False
    return True
