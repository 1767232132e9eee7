"""The sandbox matches itself: whatever the check accepts runs, whatever could never run is refused."""
from __future__ import annotations

import types

import pytest

from engine import ScriptFailed, SpecInvalid
from engine.runtime import scripting
from engine.authoring.specs import SourceFile
from tests.conftest import DATA

# (script, data, expected subset of the resulting data): each is accepted by the check and runs.
RUNS = {
    "tuple assignment": ("a, b = 1, 2", {}, {"a": 1, "b": 2}),
    "swap": ("a, b = b, a", {"a": 1, "b": 2}, {"a": 2, "b": 1}),
    "star unpacking": ("first, *rest = items", {"items": [1, 2, 3]}, {"first": 1, "rest": [2, 3]}),
    "nested unpacking": ("(a, (b, c)), d = (1, (2, 3)), 4", {}, {"a": 1, "b": 2, "c": 3, "d": 4}),
    # tuples come back as lists, as they do from the saved state
    "chained assignment": ("x = (p, q) = (1, 2)", {}, {"x": [1, 2], "p": 1, "q": 2}),
    "nested unpacking in for": ("total = 0\nfor i, (a, b) in enumerate(pairs):\n    total = total + i + a * b",
                                {"pairs": [(1, 2), (3, 4)]}, {"total": 15}),
    "star target in for": ("for head, *tail in rows:\n    last = tail", {"rows": [(1, 2, 3)]}, {"last": [2, 3]}),
    "list comprehension": ("xs = [x * 2 for x in range(3) if x]", {}, {"xs": [2, 4]}),
    "dict comprehension": ("d = {k: v + 1 for k, v in src.items()}", {"src": {"a": 1}}, {"d": {"a": 2}}),
    "set comprehension": ("s = sorted({x % 2 for x in range(5)})", {}, {"s": [0, 1]}),
    "nested comprehension unpacking": ("xs = [a + b for (a, b), c in rows]", {"rows": [((1, 2), 3)]}, {"xs": [3]}),
    "generator expression": ("n = sum(x for x in items if x > 1)", {"items": [1, 2, 3]}, {"n": 5}),
    "f-string": ("s = f'{name!r}:{amount:>6.2f}|{amount * 2}'", {"name": "甲", "amount": 1.5},
                 {"s": "'甲':  1.50|3.0"}),
    "percent formatting": ("s = '%s-%03d' % (prefix, n)", {"prefix": "CG", "n": 7}, {"s": "CG-007"}),
    "slicing": ("head = items[:2]\ntail = items[-1:]\nitems[0:1] = [9]\nstep = items[::2]",
                {"items": [1, 2, 3]}, {"head": [1, 2], "tail": [3], "items": [9, 2, 3], "step": [9, 3]}),
    "augmented assignment on names": ("n += 2\nn -= 1\nn *= 4\nn //= 3\nn **= 2\nn %= 7\nn <<= 2\nn >>= 1\n"
                                      "n |= 1\nn &= 3\nn ^= 2\nf = 1.0\nf /= 4",
                                      {"n": 1}, {"n": 3, "f": 0.25}),
    "augmented assignment extends the same list": ("alias = items\nitems += [3]", {"items": [1, 2]},
                                                   {"items": [1, 2, 3], "alias": [1, 2, 3]}),
    "item assignment and deletion": ("d['a'] = 1\nd['b'] = 2\ndel d['b']\nxs[0] = 5", {"d": {}, "xs": [0]},
                                     {"d": {"a": 1}, "xs": [5]}),
    "lambda": ("rows = sorted(rows, key=lambda r: r['n'])\nnames = list(map(lambda r: r['n'], rows))",
               {"rows": [{"n": 2}, {"n": 1}]}, {"names": [1, 2]}),
    "functions with defaults, *args and **kwargs": (
        "def f(x, y=1, *args, **kw):\n    return x + y + len(args) + len(kw)\nn = f(1)\nm = f(1, 2, 3, k=4)",
        {}, {"n": 2, "m": 5}),
    "call with *args and **kwargs": ("def f(*a, **k):\n    return len(a) + len(k)\nn = f(*items, **opts)\n"
                                     "top = max(*items)",
                                     {"items": [1, 2], "opts": {"x": 1}}, {"n": 3, "top": 2}),
    "closure": ("def outer():\n    base = 10\n    def inner(v):\n        return base + v\n    return inner(1)\n"
                "n = outer()", {}, {"n": 11}),
    "generator function": ("def evens(n):\n    for i in range(n):\n        if i % 2 == 0:\n            yield i\n"
                           "xs = list(evens(5))", {}, {"xs": [0, 2, 4]}),
    "global in a function": ("def bump():\n    global counter\n    counter = counter + 1\nbump()",
                             {"counter": 1}, {"counter": 2}),
    "try, except, else, finally": ("try:\n    x = 1 / parts\nexcept ZeroDivisionError as exc:\n    x = str(exc)\n"
                                   "else:\n    x = 'fine'\nfinally:\n    done = True",
                                   {"parts": 0}, {"x": "division by zero", "done": True}),
    "except a tuple of exceptions": ("try:\n    v = d['k']\nexcept (KeyError, IndexError):\n    v = None",
                                     {"d": {}}, {"v": None}),
    "assignment expression": ("xs = [y for x in items if (y := x * 2) > 2]", {"items": [1, 2]}, {"xs": [4]}),
    "while, break, for-else": ("i = 0\nwhile True:\n    i += 1\n    if i == 3:\n        break\nfor x in []:\n"
                               "    pass\nelse:\n    found = False", {}, {"i": 3, "found": False}),
    "star displays": ("xs = [*a, *b]\nd = {**m, 'k': 2}", {"a": [1], "b": [2], "m": {"j": 1}},
                      {"xs": [1, 2], "d": {"j": 1, "k": 2}}),
    "string and dict methods": ("parts = text.split(',')\nup = '-'.join(parts).upper()\nv = d.get('x', 0)",
                                {"text": "a,b", "d": {}}, {"parts": ["a", "b"], "up": "A-B", "v": 0}),
    "builtins": ("flags = [isinstance(1, int), any([0, 1]), all([]), callable(len)]\n"
                 "kept = list(filter(None, [0, 1, 2]))\npairs = list(zip([1], ['a']))\nrev = list(reversed(kept))\n"
                 "fs = sorted(frozenset([2, 1]))\nr = round(divmod(7, 2)[1] + abs(-1.25), 1)",
                 {}, {"flags": [True, True, True, True], "kept": [1, 2], "pairs": [[1, "a"]], "rev": [2, 1],
                      "fs": [1, 2], "r": 2.2}),
    "helpers": ("later = add_days('2026-11-23T09:00:00+08:00', 1)", {}, {"later": "2026-11-24T01:00:00+00:00"}),
    "assert": ("assert amount > 0, 'positive'", {"amount": 1}, {"amount": 1}),
}

# (script, words of the reason): refused when checked, so never deployed.
REFUSED = {
    "print": ("print('done')", '"print" is not available: scripts have no console; results go to task data'),
    "printed": ("x = printed", '"printed" is not available'),
    "class": ("class Row:\n    pass", "class definitions are not supported"),
    "class in a function": ("def f():\n    class Row:\n        pass\n    return 1", "class definitions"),
    "with": ("with ctx:\n    x = 1", "with statements are not supported"),
    "str.format": ("s = '{}'.format(1)", "str.format is not allowed in scripts: use an f-string"),
    "format_map": ("s = t.format_map({})", "str.format_map is not allowed"),
    "augmented item": ("d['a'] += 1", "Augmented assignment of object items"),
    "augmented attribute": ("d.a += 1", "Augmented assignment of attributes"),
    "import": ("import os", "imports are not allowed"),
    "from import": ("from os import path", "imports are not allowed"),
    "underscore name": ("_x = 1", 'starts with "_"'),
    "dunder attribute": ("x = ().__class__", 'starts with "_"'),
    "match": ("match x:\n    case 1:\n        y = 1", "Match statements are not allowed"),
    "annotation": ("x: int = 1", "AnnAssign statements are not allowed"),
    "nonlocal": ("def f():\n    nonlocal x", "Nonlocal statements are not allowed"),
    "async": ("async def f():\n    pass", "AsyncFunctionDef statements are not allowed"),
    "yield outside a function": ("yield 1", "'yield' outside function"),
    "syntax error": ("x = = 1", "invalid syntax"),
    "null byte": ("x = 1\x00", "null bytes"),
    "absurd nesting": ("x = " + "-" * 100000 + "1", "nested too deeply"),
}


@pytest.mark.parametrize("name", sorted(RUNS))
def test_accepted_script_runs(name):
    script, data, expected = RUNS[name]
    assert scripting.check_source(script, "exec") is None
    out = scripting.execute(script, dict(data), element="calc")
    assert {k: out.get(k) for k in expected} == expected


@pytest.mark.parametrize("name", sorted(REFUSED))
def test_refused_script_is_refused_at_check_time(name):
    script, words = REFUSED[name]
    reason = scripting.check_source(script, "exec")
    assert reason is not None and words in reason, reason
    assert "\n" not in reason and len(reason) < 150
    with pytest.raises(ScriptFailed) as err:
        scripting.execute(script, {"d": {}, "x": 1, "t": "", "ctx": None}, element="calc")
    assert err.value.element == "calc" and "SyntaxError" in str(err.value)


@pytest.mark.parametrize("name", sorted(scripting.UNAVAILABLE_NAMES))
def test_names_that_never_exist_in_the_sandbox_are_refused(name):
    for source, mode in ((f"x = {name}()", "exec"), (f"{name}", "eval"), (f"[{name} for _y in z]", "eval")):
        reason = scripting.check_source(source, mode)
        assert reason is not None and name in reason, (source, reason)


def test_refused_names_stay_usable_as_attributes_and_keys():
    out = scripting.execute("state = d['open']\nhelped = d.get('help')", {"d": {"open": 1}})
    assert (out["state"], out["helped"]) == (1, None)


@pytest.mark.parametrize("expression, expected", [
    ("[a + b for a, b in pairs]", [3, 7]),
    ("{k: v for k, (v, w) in d.items()}", {"a": 1}),
    ("max(*items)", 3),
    ("f'{n:03d}'", "007"),
    ("(lambda v: v * 2)(n)", 14),
    ("items[1:]", [2, 3]),
    ("sum(x for x in items if x > 1)", 5),
    ("'high' if n >= 5 else 'low'", "high"),
    ("{*items, 4}", {1, 2, 3, 4}),
])
def test_accepted_expression_evaluates(expression, expected):
    assert scripting.check_source(expression, "eval") is None
    data = {"pairs": [(1, 2), (3, 4)], "d": {"a": (1, 2)}, "items": [1, 2, 3], "n": 7}
    assert scripting.evaluate(expression, data) == expected


@pytest.mark.parametrize("expression", ["print(1)", "'{}'.format(1)", "locals()", "vars()", "dir()",
                                        "eval('1')", "open('x')", "__import__('os')"])
def test_refused_expression(expression):
    assert scripting.check_source(expression, "eval") is not None
    with pytest.raises(ScriptFailed):
        scripting.evaluate(expression, {}, element="f_big")


def test_missing_attribute_raises_instead_of_none():
    with pytest.raises(ScriptFailed, match="AttributeError"):
        scripting.execute("x = d.approved", {"d": {}})
    with pytest.raises(ScriptFailed, match="AttributeError"):
        scripting.evaluate("d.approved", {"d": {}})


def _code_objects(code):
    yield code
    for const in code.co_consts:
        if isinstance(const, types.CodeType):
            yield from _code_objects(const)


KITCHEN_SINK = """
a, (b, *c) = 1, (2, 3, 4)
for i, (j, k) in enumerate([(1, 2)]):
    n = i
n += 1
d = {}
d['x'] = [v for v, w in [(1, 2)]]
d.update(x=1)
s = f"{d['x']!r}"
def f(*args, **kwargs):
    global g
    g = args[0:1]
    return len(args) + len(kwargs)
m = f(*[1], **{'k': 2})
t = {x: y for x, y in d.items()}
u = sorted({x for x in range(2)})
w = sum(x for x in range(2))
try:
    z = 1 / 0
except ZeroDivisionError as exc:
    z = str(exc)
"""


def test_every_guard_the_compiled_code_calls_is_provided():
    code = scripting.compile_code(KITCHEN_SINK, "exec")
    guards = {name for code in _code_objects(code) for name in code.co_names
              if name.startswith("_") and name.endswith("_") and not name.startswith("__")}
    assert {"_getattr_", "_getitem_", "_getiter_", "_write_", "_inplacevar_", "_unpack_sequence_",
            "_iter_unpack_sequence_", "_apply_"} <= guards
    assert guards <= set(scripting._base_globals())
    out = scripting.execute(KITCHEN_SINK, {})
    assert (out["a"], out["b"], out["c"], out["n"], out["m"], out["z"]) == (1, 2, [3, 4], 1, 2, "division by zero")


# -- in a deployed process ------------------------------------------------------------------------------
def scripted(script: str) -> SourceFile:
    text = (DATA / "scripted.bpmn").read_text(encoding="utf-8")
    script = script.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    return SourceFile("scripted.bpmn", text.replace("SCRIPT", script).replace("CONDITION", "share > 100").encode())


@pytest.mark.parametrize("script", ["print(total)", "x = locals()", "class A:\n    pass",
                                    "with open('f') as fh:\n    pass", "share = '{}'.format(total)"])
def test_deploy_refuses_what_the_sandbox_never_runs(small_sqlite, script):
    before = small_sqlite.definitions()
    with pytest.raises(SpecInvalid) as err:
        small_sqlite.deploy([scripted(script)], "owen")
    [problem] = err.value.problems
    assert (problem.code, problem.element, problem.name) == ("expression", "calc", "计算分摊")
    assert "\n" not in str(problem) and len(problem.reason) < 200
    assert small_sqlite.definitions() == before


def test_unpacking_and_star_calls_run_in_an_instance(small):
    small.deploy([scripted("total, parts = parts, total\nhead, *rest = [total, parts]\n"
                           "share = max(*rest, 0) / head")], "owen")
    inst = small.start("scripted", "alice", {"total": 1000, "parts": 4})
    assert inst.status == "running", inst.error
    data = small.data(inst.id)
    assert (data["total"], data["parts"], data["head"], data["rest"], data["share"]) == (4, 1000, 4, [1000], 250)
    assert [t.bpmn_id for t in small.open_tasks(inst.id)] == ["check"]
