"""What one script, expression or template may spend: time, memory, and the size of any one value.

Two layers keep a step bounded (see docs/DECISIONS.md, "Bounded scripts"):
- code that the static reading in `bounded.py` proves linear in the data it reads runs in the engine's
  process; the operators that can build large values (`+ * ** << %` and `round`) are routed through the
  guards below, which refuse a value beyond `MAX_ITEMS` items or `MAX_BITS` bits before it is built;
- everything else runs in a sandbox process (`sandbox.py`) with an address-space limit of
  `Budget.memory_mb` and is killed when it runs longer than `Budget.seconds`.
"""
from __future__ import annotations

import operator as _op
import os
import re
from dataclasses import dataclass

from ..errors import ScriptFailed

MAX_ITEMS = 10_000_000       # characters, bytes or items in one value built by `+`, `*` or `%`
MAX_BITS = 1_000_000         # bits in one integer built by `*`, `**` or `<<`
_SEQUENCES = (str, bytes, bytearray, list, tuple)
# printf-style width or precision taken from an argument (`*`) or written with seven or more digits
_WIDE_FORMAT = re.compile(r"%[-+ #0]*(?:\*|\d{7,})|%[-+ #0]*\d*\.(?:\*|\d{7,})")


class BudgetExceeded(ScriptFailed):
    """A script, expression or template was stopped: it ran too long or wanted too much memory."""

    code = "budget_exceeded"

    def __init__(self, message: str, element: str | None = None, kind: str = "memory"):
        self.kind = kind  # "time" | "memory"
        super().__init__(message, element)


@dataclass(frozen=True)
class Budget:
    """The limits of one evaluation; from APPROVALS_SCRIPT_SECONDS and APPROVALS_SCRIPT_MEMORY_MB."""

    seconds: float = 3.0
    memory_mb: int = 256

    @classmethod
    def from_env(cls) -> Budget:
        return cls(float(os.environ.get("APPROVALS_SCRIPT_SECONDS") or cls.seconds),
                   int(os.environ.get("APPROVALS_SCRIPT_MEMORY_MB") or cls.memory_mb))

    def time_message(self) -> str:
        return f"stopped after the time budget of {self.seconds:g} s"

    def memory_message(self) -> str:
        return f"stopped: it needs more than the memory budget of {self.memory_mb} MB"


def _too_big(what: str) -> BudgetExceeded:
    return BudgetExceeded(f"stopped: {what} would exceed the memory budget", kind="memory")


def _check_size(value) -> None:
    if isinstance(value, _SEQUENCES) and len(value) > MAX_ITEMS:
        raise _too_big(f"a value of {len(value):,} items")


def guarded_add(a, b):
    if isinstance(a, _SEQUENCES) and isinstance(b, _SEQUENCES) and len(a) + len(b) > MAX_ITEMS:
        raise _too_big(f"a value of {len(a) + len(b):,} items")
    return a + b


def guarded_iadd(a, b):
    """`a += b`: in place where Python does it in place (a list extends the same list)."""
    if isinstance(a, _SEQUENCES) and isinstance(b, _SEQUENCES) and len(a) + len(b) > MAX_ITEMS:
        raise _too_big(f"a value of {len(a) + len(b):,} items")
    return _op.iadd(a, b)


def guarded_mult(a, b):
    if isinstance(a, int) and isinstance(b, _SEQUENCES):
        a, b = b, a
    if isinstance(a, _SEQUENCES) and isinstance(b, int):
        if len(a) * max(b, 0) > MAX_ITEMS:
            raise _too_big(f"a value of {len(a) * b:,} items")
    elif isinstance(a, int) and isinstance(b, int) and a.bit_length() + b.bit_length() > MAX_BITS:
        raise _too_big("an integer this large")
    return a * b


def guarded_pow(a, b):
    if isinstance(a, int) and isinstance(b, int) and b > 0 and abs(a) > 1 \
            and a.bit_length() * b > MAX_BITS:
        raise _too_big("an integer this large")
    return a ** b


def guarded_lshift(a, b):
    if isinstance(a, int) and isinstance(b, int) and a and b > MAX_BITS:
        raise _too_big("an integer this large")
    return a << b


def guarded_mod(a, b):
    if isinstance(a, (str, bytes)) and _WIDE_FORMAT.search(a if isinstance(a, str) else a.decode("latin-1")):
        raise _too_big("a formatted value this wide")
    result = a % b
    _check_size(result)
    return result


def guarded_round(number, ndigits=None):
    """`round`, refusing digit counts that would build huge integers (`round(10**9999, -10**9)`)."""
    if ndigits is not None and abs(int(ndigits)) > 1000:
        raise _too_big("rounding to this many digits")
    return round(number) if ndigits is None else round(number, ndigits)


# the names scripts call these by (compiled code refers to them; see scripting.GuardedTransformer)
GUARDS = {"_add_": guarded_add, "_mult_": guarded_mult, "_pow_": guarded_pow, "_lshift_": guarded_lshift,
          "_mod_": guarded_mod}
IN_PLACE = {"+=": guarded_iadd, "*=": guarded_mult, "**=": guarded_pow, "<<=": guarded_lshift,
            "%=": guarded_mod, "-=": _op.isub, "/=": _op.itruediv, "//=": _op.ifloordiv, ">>=": _op.irshift,
            "|=": _op.ior, "^=": _op.ixor, "&=": _op.iand, "@=": _op.imatmul}
