"""Run a hand-out beside its answer key, in the answer key's kernel (used by tests/conftest.py).

A hand-out (`make student`) is its answer key with a few cells changed: solutions replaced by
``raise NotImplementedError``, ``PREDICTION = None``, ``workshop.start(..., handout=True)``. A
learner who solves nothing presses Run All; the test is that every cell then runs. Executing
the whole hand-out again would repeat every experiment of the answer key, which nbval has just
run cell by cell in the same kernel. ``Shadow`` runs only what can differ:

- the answer key's cells run as they are (nbval runs them); the hand-out's namespace is a
  second dictionary, ``shadow``, that starts as a copy of the kernel's;
- a cell whose hand-out source is different, or that reads a name bound to a different object
  in the two namespaces (a *split* name), runs a second time as the hand-out has it, in
  ``shadow``, before the answer key runs it. What a cell reads comes from its syntax: the names
  it may load before binding them itself, the globals of the functions, classes, lambdas and
  comprehensions it contains (Python's symtable), and the globals of the notebook's own
  functions and classes it uses (their bytecode);
- a function the answer key's cell defined (or a decorator's wrapper of one) is copied into
  ``shadow`` as a function of ``shadow``: the same code, looking up its globals there, as the
  hand-out's would. Not covered: classes, and functions kept inside other objects, are copied as
  they are (their methods read the key's globals), and a cell magic run in ``shadow`` executes
  in the kernel's namespace; no notebook relies on either;
- any other cell ran the same code on the same objects, so its new bindings are copied into
  ``shadow`` after the answer key has run it.

The objects a shadow run reads are deep copies, so that it cannot change the answer key's; a
copy that comes back unchanged is dropped again. The random-number generators are restored after
each shadow run, so that the answer key computes exactly what it computes without this check.
What a shadow run prints is passed on, so the learner's "not solved yet" messages can be
counted. An exception in a shadow run is where Run All would stop.
"""

from __future__ import annotations
import __future__

import ast
import builtins
import contextlib
import copy
import dis
import functools
import io
import operator
import pickle
import random
import re
import symtable
import sys
import traceback
import types

import numpy as np

IMMUTABLE = (int, float, complex, str, bytes, bool, type(None), range, types.ModuleType,
             types.FunctionType, types.BuiltinFunctionType, type)


class Shadow:
    def __init__(self, user_ns: dict):
        self.ns = user_ns
        self.shadow = dict(user_ns)
        self.split: set[str] = set()
        self.printed: list[str] = []
        self.ran: list[str] = []  # ids of the cells run a second time, as the hand-out has them
        self._before: dict[str, object] = {}
        self._shadow_before: dict[str, object] = {}
        self._differs = False

    # -- the two calls the test makes around each code cell ------------------------------------
    def before(self, cell_id: str, handout: str, key: str) -> None:
        """Snapshot both namespaces; if the cell can differ, run the hand-out's version."""
        self._before = _bindings(self.ns)
        self._shadow_before = _bindings(self.shadow)
        reads = self._reads(handout)  # the key's cell reads the same when the sources are equal
        self._differs = handout != key or bool(reads & self.split)
        if not self._differs:
            return
        self.ran.append(cell_id)
        copies = self._copy_shared(reads)
        self._shadow_before = _bindings(self.shadow)  # the copies are not the cell's own bindings
        state = _rng_state()
        out = io.StringIO()
        try:
            with contextlib.redirect_stdout(_Tee(out, sys.stdout)):
                exec(compile(_python(handout), f"<hand-out cell {cell_id}>", "exec",
                             flags=_future_flags(), dont_inherit=True), self.shadow)
        except BaseException as err:  # noqa: BLE001 - every exception stops Run All
            raise HandoutStopped(cell_id, err, traceback.format_exc(limit=-3)) from None
        finally:
            _set_rng_state(state)
            self.printed.append(out.getvalue())
        self._unsplit_unchanged(copies)

    def after(self) -> None:
        """Bring the bindings the answer key's cell made into the hand-out's namespace."""
        key_touched = _touched(_bindings(self.ns), self._before)
        if not self._differs:  # the same code on the same objects: the same bindings
            self._before = self._shadow_before = {}
            for k in key_touched:
                if k in self.ns:
                    self.shadow[k] = _rebound(self.ns[k], self.ns, self.shadow)
                else:
                    self.shadow.pop(k, None)
                self.split.discard(k)
            return
        shadow_touched = _touched(_bindings(self.shadow), self._shadow_before)
        self._before = self._shadow_before = {}
        for k in key_touched | shadow_touched:  # the two runs' bindings: the same value?
            mine, key = self.shadow.get(k, _MISSING), self.ns.get(k, _MISSING)
            if mine is key or (mine is not _MISSING and key is not _MISSING and _same(mine, key)):
                if key is not _MISSING and not _defined_here(key):  # the hand-out's own functions
                    self.shadow[k] = key                            # keep the shadow's globals
                self.split.discard(k)
            else:
                self.split.add(k)

    # -- what a cell reads -----------------------------------------------------------------------
    def _reads(self, source: str) -> set[str]:
        names = _cell_reads(source)
        seen, todo = set(), list(names)
        while todo:  # follow the notebook's own functions and classes to the globals they use
            name = todo.pop()
            if name in seen:
                continue
            seen.add(name)
            for ns in (self.ns, self.shadow):
                for extra in _globals_used(ns.get(name)):
                    if extra not in seen:
                        todo.append(extra)
        return seen

    def _copy_shared(self, reads: set[str]) -> dict[str, object]:
        """Give the shadow run its own copy of every mutable object it shares with the key."""
        copies = {}
        for k in reads:
            if k in self.split or k not in self.shadow or self.shadow[k] is not self.ns.get(k):
                continue
            obj = self.ns[k]
            if isinstance(obj, IMMUTABLE) or _defined_here(obj):
                continue
            try:
                self.shadow[k] = copies[k] = copy.deepcopy(obj)
            except Exception:  # noqa: BLE001 - generators, open files: shared as they are
                continue
            self.split.add(k)
        return copies

    def _unsplit_unchanged(self, copies: dict[str, object]) -> None:
        for k, c in copies.items():
            if self.shadow.get(k, _MISSING) is c and _same(c, self.ns.get(k)):
                self.shadow[k] = self.ns[k]
                self.split.discard(k)

    def not_solved_messages(self) -> int:
        return sum(text.count("is not solved yet") for text in self.printed)


class HandoutStopped(Exception):
    """Run All of the hand-out would stop at this cell."""

    def __init__(self, cell_id: str, err: BaseException, tb: str):
        super().__init__(f"the hand-out's Run All stops at cell {cell_id}: "
                         f"{type(err).__name__}: {err}\n{tb}")


_MISSING = object()
GLOBAL_OPS = {"LOAD_GLOBAL", "LOAD_NAME", "STORE_GLOBAL", "DELETE_GLOBAL"}
_IPYTHON = {"In", "Out", "get_ipython", "exit", "quit", "open"}


def _bindings(ns: dict) -> dict[str, object]:
    """The namespace's tracked bindings (references, so that no object's id can be reused)."""
    return {k: v for k, v in ns.items() if _tracked(k)}


def _touched(now: dict, before: dict) -> set[str]:
    return {k for k in now.keys() | before.keys()
            if now.get(k, _MISSING) is not before.get(k, _MISSING)}


def _tracked(name: str) -> bool:
    return not name.startswith("_") and name not in _IPYTHON


FUTURE_FLAGS = functools.reduce(operator.or_, (getattr(__future__, name).compiler_flag
                                                for name in __future__.all_feature_names))


def _future_flags() -> int:
    """The kernel's ``from __future__`` flags (this module's own are not the notebook's)."""
    try:
        from IPython import get_ipython
    except ImportError:
        return 0
    shell = get_ipython()
    return shell.compile.flags & FUTURE_FLAGS if shell else 0


def _python(source: str) -> str:
    """The cell as plain Python (IPython's transformations, e.g. of magics, applied)."""
    try:
        from IPython.core.inputtransformer2 import TransformerManager
    except ImportError:
        return source
    return TransformerManager().transform_cell(source)


def _cell_reads(source: str) -> set[str]:
    """The global names a cell may read before it binds them itself (a superset when unsure)."""
    code = _python(source)
    reads: set[str] = set()
    _scan(ast.parse(code).body, set(), reads)
    reads |= _scope_globals(symtable.symtable(code, "<cell>", "exec"))
    if "get_ipython()" in code:  # a magic: its code is a string; every word in it may be a name
        reads |= set(re.findall(r"[A-Za-z_]\w*", source))
    return reads - set(dir(builtins))


def _scan(statements, bound: set[str], reads: set[str]) -> None:
    """Add to ``reads`` the names the statements load while not yet surely ``bound``."""
    for st in statements:
        if isinstance(st, (ast.Assign, ast.AnnAssign)):
            for part in (st.value, getattr(st, "annotation", None)):
                _load(part, bound, reads)
            targets = st.targets if isinstance(st, ast.Assign) else [st.target] * bool(st.value)
            for target in targets:
                _store(target, bound, reads)
        elif isinstance(st, (ast.Import, ast.ImportFrom)):
            bound |= {a.asname or a.name.split(".")[0] for a in st.names if a.name != "*"}
        elif isinstance(st, (ast.For, ast.AsyncFor)):  # the target is bound inside the body only
            _load(st.iter, bound, reads)
            inside = set(bound)
            _store(st.target, inside, reads)
            _scan(st.body, inside, reads)
            _scan(st.orelse, set(bound), reads)
        elif isinstance(st, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            args = getattr(st, "args", None)
            for part in (*st.decorator_list, *getattr(st, "bases", []),
                         *[k.value for k in getattr(st, "keywords", [])],
                         *(args.defaults + args.kw_defaults if args else []),
                         getattr(st, "returns", None),
                         *([a.annotation for a in args.posonlyargs + args.args + args.kwonlyargs
                            + [args.vararg, args.kwarg] if a is not None] if args else [])):
                _load(part, bound, reads)  # the body's globals: _scope_globals
            bound.add(st.name)
        else:  # if, while, try, with, expressions: every name in it, bound or not afterwards
            for node in ast.walk(st):
                if isinstance(node, ast.Name) and node.id not in bound:
                    reads.add(node.id)


def _load(expr, bound: set[str], reads: set[str]) -> None:
    """The names an expression loads, outside the lambdas and comprehensions it contains (their
    globals come from _scope_globals), except a comprehension's first iterable, evaluated here."""
    todo = [expr] if expr is not None else []
    while todo:
        node = todo.pop()
        if isinstance(node, ast.Name):
            if node.id not in bound:
                reads.add(node.id)
        elif isinstance(node, ast.Lambda):
            todo += node.args.defaults + [d for d in node.args.kw_defaults if d is not None]
        elif isinstance(node, (ast.ListComp, ast.SetComp, ast.DictComp, ast.GeneratorExp)):
            todo.append(node.generators[0].iter)
        else:
            todo += list(ast.iter_child_nodes(node))


def _store(target, bound: set[str], reads: set[str]) -> None:
    if isinstance(target, ast.Name):
        bound.add(target.id)
    elif isinstance(target, (ast.Tuple, ast.List)):
        for element in target.elts:
            _store(element, bound, reads)
    elif isinstance(target, ast.Starred):
        _store(target.value, bound, reads)
    else:  # x[i] = …, x.a = …: x and i are read
        _load(target, bound, reads)


def _scope_globals(table: symtable.SymbolTable) -> set[str]:
    """The global names read in the scopes nested in a cell (functions, classes, lambdas,
    comprehensions), at any depth. A class body falls back to the globals for a name it has
    not bound yet (``x = x``), so every name it reads counts."""
    names = set()
    for child in table.get_children():
        in_class = child.get_type() == "class"
        names |= {s.get_name() for s in child.get_symbols() if s.is_referenced()
                  and (s.is_global() or (in_class and not s.is_free()))}
        names |= _scope_globals(child)
    return names


def _rebound(obj, key_ns: dict, shadow: dict, done: dict | None = None):
    """A function of the key's namespace as a function of ``shadow``: its globals, and those of
    the functions it wraps (decorators such as ``torch.no_grad()`` keep them in a closure)."""
    if not isinstance(obj, types.FunctionType):
        return obj
    done = {} if done is None else done
    if id(obj) in done:
        return done[id(obj)]
    done[id(obj)] = obj  # a function that reaches itself through its closure stays as it is
    cells = obj.__closure__
    if cells:
        new = tuple(_rebound_cell(c, key_ns, shadow, done) for c in cells)
        cells = new if any(a is not b for a, b in zip(new, cells)) else cells
    old_wrapped = obj.__dict__.get("__wrapped__")
    wrapped = _rebound(old_wrapped, key_ns, shadow, done)
    if obj.__globals__ is not key_ns and cells is obj.__closure__ and wrapped is old_wrapped:
        return obj
    f = types.FunctionType(obj.__code__, shadow if obj.__globals__ is key_ns else obj.__globals__,
                           obj.__name__, obj.__defaults__, cells)
    for attr in ("__kwdefaults__", "__qualname__", "__doc__", "__module__", "__annotations__"):
        setattr(f, attr, getattr(obj, attr))
    if wrapped is old_wrapped:
        f.__dict__ = obj.__dict__  # attributes set later on either are seen by both, as before
    else:
        f.__dict__.update(obj.__dict__, __wrapped__=wrapped)
    done[id(obj)] = f
    return f


def _rebound_cell(cell, key_ns: dict, shadow: dict, done: dict):
    try:
        value = cell.cell_contents
    except ValueError:  # an empty cell
        return cell
    new = _rebound(value, key_ns, shadow, done)
    return cell if new is value else types.CellType(new)


def _defined_here(obj) -> bool:
    """A function or class a notebook cell defined (or a decorator's wrapper of one)."""
    if isinstance(obj, types.FunctionType) and obj.__globals__.get("__name__") == "__main__":
        return True
    return (getattr(obj, "__module__", None) == "__main__"
            and isinstance(obj, (type, types.FunctionType)))


def _globals_used(obj) -> set[str]:
    """Global names used by a function, class or instance of a class that a notebook cell
    defined (methods, static and class methods and properties included, inherited ones too)."""
    if not isinstance(obj, (type, types.FunctionType)) and _defined_here(type(obj)):
        obj = type(obj)
    if not _defined_here(obj):
        return set()
    if isinstance(obj, types.FunctionType):
        codes = [obj.__code__]
    else:
        members = [m for cls in obj.__mro__ if _defined_here(cls) for m in vars(cls).values()]
        members = [getattr(m, "__func__", m) for m in members]  # static and class methods
        members += [f for m in members if isinstance(m, property)
                    for f in (m.fget, m.fset, m.fdel) if f is not None]
        codes = [m.__code__ for m in members if isinstance(m, types.FunctionType)]
    names = set()
    while codes:  # the names it loads as globals (not its attributes: those are co_names too)
        code = codes.pop()
        names |= {i.argval for i in dis.get_instructions(code) if i.opname in GLOBAL_OPS}
        codes += [c for c in code.co_consts if isinstance(c, types.CodeType)]
    wrapped = getattr(obj, "__wrapped__", None)  # an @exercise function: the learner's own
    return names | (_globals_used(wrapped) if wrapped is not None else set())


def _same(a, b) -> bool:
    """Whether two objects hold the same value (False when unsure): a deep copy and its
    original, or what the hand-out's and the answer key's runs of one cell computed."""
    try:
        return _same_value(a, b)
    except Exception:  # noqa: BLE001 - a comparison that fails means "not known to be equal"
        return False


def _same_value(a, b) -> bool:
    if isinstance(a, types.FunctionType) or isinstance(b, types.FunctionType):
        return (isinstance(a, types.FunctionType) and isinstance(b, types.FunctionType)
                and a.__code__ == b.__code__ and _same(a.__defaults__, b.__defaults__)
                and _same(getattr(a, "__wrapped__", None), getattr(b, "__wrapped__", None)))
    if isinstance(a, type) or isinstance(b, type):
        return (isinstance(a, type) and isinstance(b, type) and a.__qualname__ == b.__qualname__
                and a.__bases__ == b.__bases__ and vars(a).keys() == vars(b).keys()
                and all(_same(x, vars(b)[k]) for k, x in vars(a).items()
                        if isinstance(x, types.FunctionType)))
    if a is None or b is None:
        return a is b
    try:
        import torch
        if isinstance(a, torch.Tensor):
            return isinstance(b, torch.Tensor) and a.shape == b.shape and bool(torch.equal(a, b))
        if isinstance(a, torch.nn.Module):
            sa, sb = a.state_dict(), b.state_dict()
            return (a.training == b.training and sa.keys() == sb.keys()
                    and all(torch.equal(sa[k], sb[k]) for k in sa))
    except ImportError:
        pass
    if isinstance(a, np.ndarray):
        return (isinstance(b, np.ndarray) and a.dtype == b.dtype
                and np.array_equal(a, b, equal_nan=a.dtype.kind in "fc"))
    if hasattr(a, "equals") and callable(a.equals):  # pandas
        try:
            return bool(a.equals(b))
        except Exception:  # noqa: BLE001
            return False
    if isinstance(a, (list, tuple)) and type(a) is type(b) and len(a) == len(b):
        return all(_same(x, y) for x, y in zip(a, b))
    if isinstance(a, dict) and isinstance(b, dict) and a.keys() == b.keys():
        return all(_same(a[k], b[k]) for k in a)
    try:
        return pickle.dumps(a) == pickle.dumps(b)
    except Exception:  # noqa: BLE001
        return False


def _rng_state():
    import torch
    return (random.getstate(), np.random.get_state(), torch.get_rng_state(),
            torch.cuda.get_rng_state_all() if torch.cuda.is_available() else None)


def _set_rng_state(state) -> None:
    import torch
    random.setstate(state[0])
    np.random.set_state(state[1])
    torch.set_rng_state(state[2])
    if state[3] is not None:
        torch.cuda.set_rng_state_all(state[3])


class _Tee(io.TextIOBase):
    def __init__(self, *streams):
        self.streams = streams

    def write(self, text):
        for s in self.streams:
            s.write(text)
        return len(text)

    def flush(self):
        for s in self.streams:
            s.flush()
