"""Compile and run diagram code (scripts, conditions, timers, DMN cells) in a sandbox.

SpiffWorkflow's default is plain eval/exec with full builtins. Here every snippet is compiled by
RestrictedPython with a stricter policy, runs with a short list of builtins and attribute guards,
and is stopped when it runs past a deadline or grows memory past a limit.
"""
from __future__ import annotations

import ast
import math
import operator
import os
import re
import sys
import time
from functools import lru_cache

from RestrictedPython import RestrictingNodeTransformer, compile_restricted
from RestrictedPython.Eval import default_guarded_getitem
from RestrictedPython.Guards import (
    full_write_guard,
    guarded_iter_unpack_sequence,
    guarded_unpack_sequence,
    safer_getattr,
)

from engine.errors import ScriptError, ScriptTimeout

TIME_LIMIT_SECONDS = 2.0
MEMORY_LIMIT_BYTES = 256 * 1024 * 1024
MAX_SEQUENCE_ITEMS = 1_000_000
MAX_RANGE_ITEMS = 100_000
MAX_INT_BITS = 100_000
MAX_SOURCE_CHARS = 20_000
DIAGRAM_FILE = "<diagram>"


class KompisPolicy(RestrictingNodeTransformer):
    """RestrictedPython's policy plus what a diagram never needs: try/except, classes, and
    unguarded multiplication or powers (one C call could allocate gigabytes)."""

    _SIZE_OPS = {ast.Mult: "*", ast.Pow: "**", ast.LShift: "<<"}

    def visit_Try(self, node):
        self.error(node, "try/except is not allowed in diagram code; let the task fail instead.")
        return node

    visit_TryStar = visit_Try

    def visit_Import(self, node):
        self.error(node, "import is not allowed in diagram code; use the helper functions.")
        return node

    visit_ImportFrom = visit_Import

    def visit_ClassDef(self, node):
        self.error(node, "Classes are not allowed in diagram code.")
        return node

    def visit_BinOp(self, node):
        node = self.node_contents_visit(node)
        symbol = self._SIZE_OPS.get(type(node.op))
        if symbol is None:
            return node
        call = ast.Call(func=ast.Name("_sized_op_", ast.Load()),
                        args=[ast.Constant(symbol), node.left, node.right], keywords=[])
        return ast.fix_missing_locations(ast.copy_location(call, node))


def _sized_op(symbol: str, left, right):
    if symbol == "*":
        for seq, count in ((left, right), (right, left)):
            if isinstance(seq, (str, bytes, list, tuple)) and isinstance(count, int):
                if len(seq) * max(count, 0) > MAX_SEQUENCE_ITEMS:
                    raise ScriptError("Resultatet blir för stort (högst en miljon tecken eller element).")
        return left * right
    if symbol == "**":
        if isinstance(left, int) and isinstance(right, int) and right > 0 and abs(left) > 1:
            if left.bit_length() * right > MAX_INT_BITS:
                raise ScriptError("Talet blir för stort.")
        return left ** right
    if isinstance(left, int) and isinstance(right, int) and right > MAX_INT_BITS:
        raise ScriptError("Talet blir för stort.")
    return left << right


_INPLACE = {
    "+=": operator.iadd, "-=": operator.isub, "/=": operator.itruediv, "//=": operator.ifloordiv,
    "%=": operator.imod, "&=": operator.iand, "|=": operator.ior, "^=": operator.ixor,
    ">>=": operator.irshift,
}


def _inplace(op: str, target, value):
    if op in ("*=", "**=", "<<="):
        return _sized_op(op[:-1], target, value)
    try:
        return _INPLACE[op](target, value)
    except KeyError:
        raise ScriptError(f"Operatorn {op} är inte tillåten.") from None


def _limited_range(*args):
    result = range(*args)
    if len(result) > MAX_RANGE_ITEMS:
        raise ScriptError(f"range() får ge högst {MAX_RANGE_ITEMS} tal.")
    return result


def _apply(func, *args, **kwargs):
    return func(*args, **kwargs)


SAFE_BUILTINS = {
    "None": None, "True": True, "False": False,
    "abs": abs, "all": all, "any": any, "bool": bool, "dict": dict, "divmod": divmod,
    "enumerate": enumerate, "filter": filter, "float": float, "int": int, "isinstance": isinstance,
    "len": len, "list": list, "map": map, "max": max, "min": min, "range": _limited_range,
    "reversed": reversed, "round": round, "set": set, "sorted": sorted, "str": str, "sum": sum,
    "tuple": tuple, "zip": zip, "ValueError": ValueError, "KeyError": KeyError,
}

GUARDS = {
    "__builtins__": SAFE_BUILTINS,
    "__name__": "diagram",
    "__metaclass__": type,
    "_getattr_": safer_getattr,
    "_getitem_": default_guarded_getitem,
    "_getiter_": iter,
    "_write_": full_write_guard,
    "_inplacevar_": _inplace,
    "_iter_unpack_sequence_": guarded_iter_unpack_sequence,
    "_unpack_sequence_": guarded_unpack_sequence,
    "_apply_": _apply,
    "_sized_op_": _sized_op,
}


@lru_cache(maxsize=4096)
def compile_code(source: str, mode: str):
    """Compile diagram code once; raise ScriptError (never a bare SyntaxError) on a rule breach."""
    if len(source) > MAX_SOURCE_CHARS:
        raise ScriptError(f"Koden är för lång ({len(source)} tecken; högst {MAX_SOURCE_CHARS}).")
    try:
        return compile_restricted(source, filename=DIAGRAM_FILE, mode=mode, policy=KompisPolicy)
    except SyntaxError as exc:
        # RestrictedPython reports rule breaches as SyntaxError with lineno=None, which
        # SpiffWorkflow's error formatter cannot handle: turn it into our own error.
        # It also gives its messages as a tuple ("Line 1: SyntaxError: …",): one plain sentence each.
        details = exc.msg if isinstance(exc.msg, (tuple, list)) else [exc.msg or str(exc)]
        detail = "; ".join(re.sub(r"^Line (\d+): ", r"rad \1: ", str(d)) for d in details)
        raise ScriptError(f"Otillåten eller felaktig kod: {detail}") from None
    except (ValueError, MemoryError, RecursionError) as exc:
        raise ScriptError(f"Koden kan inte kompileras: {exc}") from None


def check_compiles(source: str, mode: str) -> str | None:
    """The reason this code would be refused, or None if it compiles in the sandbox."""
    try:
        compile_code(source, mode)
    except ScriptError as exc:
        return exc.message
    return None


_statm: tuple[int, int] | None = None  # (pid, descriptor of that process's /proc/self/statm)


def _resident_bytes() -> int:
    """This process's resident memory. The file stays open (every script run reads it, and opening it
    cost more than the read); a forked worker opens its own, /proc/self being the parent's otherwise."""
    global _statm
    try:
        if _statm is None or _statm[0] != os.getpid():
            _statm = (os.getpid(), os.open("/proc/self/statm", os.O_RDONLY))
        return int(os.pread(_statm[1], 128, 0).split()[1]) * 4096
    except (OSError, IndexError, ValueError):
        return 0


class _Watchdog:
    """A trace function: stops code that runs past its deadline or grows memory past a limit.
    Python-level tracing sees every loop turn (a line event on each backward jump)."""

    def __init__(self, seconds: float):
        self.deadline = time.monotonic() + seconds
        self.seconds = seconds
        self.base_memory = _resident_bytes()
        self.events = 0

    def __call__(self, frame, event, arg):
        if event == "call" and frame.f_code.co_filename != DIAGRAM_FILE:
            return None  # trusted code (helpers, the standard library) runs untraced and fast
        self.events += 1
        if time.monotonic() > self.deadline:
            raise ScriptTimeout(f"Koden avbröts efter {self.seconds:g} sekunder (oändlig loop?).")
        if self.events % 2000 == 0 and self.base_memory:
            if _resident_bytes() - self.base_memory > MEMORY_LIMIT_BYTES:
                raise ScriptError("Koden avbröts: den använde för mycket minne.")
        return self


def trusted(helper):
    """Wrap a whitelisted helper: while it runs, the watchdog pauses and its time does not count
    (rendering a PDF or importing a library is not the diagram's runaway code). Wrapping twice is a no-op."""
    if getattr(helper, "kompis_trusted", False):
        return helper

    def call(*args, **kwargs):
        watchdog = sys.gettrace()
        if not isinstance(watchdog, _Watchdog):
            return helper(*args, **kwargs)
        sys.settrace(None)
        started = time.monotonic()
        try:
            return helper(*args, **kwargs)
        finally:
            watchdog.deadline += time.monotonic() - started
            sys.settrace(watchdog)
    # Not functools.wraps: every command wraps two dozen helpers, and copying its five attributes and
    # the __dict__ each time was a tenth of a timer firing. The name and docstring are what is read.
    call.__name__ = call.__qualname__ = getattr(helper, "__name__", type(helper).__name__)
    call.__doc__, call.__wrapped__, call.kompis_trusted = helper.__doc__, helper, True
    return call


def run_guarded(code, namespace: dict, seconds: float = TIME_LIMIT_SECONDS):
    """Run compiled code under the watchdog; return eval's value (None for exec)."""
    previous = sys.gettrace()
    sys.settrace(_Watchdog(seconds))
    try:
        return eval(code, namespace)  # noqa: S307 - compiled by RestrictedPython with our policy
    finally:
        sys.settrace(previous)


def is_json_native(value, depth: int = 0) -> bool:
    if depth > 50:
        return False
    if value is None or isinstance(value, (str, bool, int)):
        return True
    if isinstance(value, float):
        return math.isfinite(value)
    if isinstance(value, (list, tuple)):
        return all(is_json_native(item, depth + 1) for item in value)
    if isinstance(value, dict):
        return all(isinstance(k, str) and is_json_native(v, depth + 1) for k, v in value.items())
    return False
