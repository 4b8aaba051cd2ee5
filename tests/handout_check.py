"""The hand-outs' Run All, checked in the answer key's kernel while nbval runs it (a pytest plugin).

A learner's Run All of a hand-out (`make student`) must reach the last cell with nothing solved.
Rather than run every experiment a second time, this plugin has tests/handout_shadow.py run, in
the kernel nbval has open for a notebook of notebooks/, only the cells that can differ in the
hand-out, in a namespace of their own (see that module's docstring). A cell at which the
hand-out would stop fails as that notebook's cell, with the hand-out's traceback. Loaded for
every pytest run by the repository's conftest.py.
"""

from __future__ import annotations

import os
import re
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent

HANDOUT_TIMEOUT_S = 300
ANSI = re.compile(r"\x1b\[[0-9;]*m")


def _kernel_run(kernel, code: str) -> tuple[str, list[str]]:
    """Execute ``code`` in nbval's kernel; return what it printed and any error tracebacks."""
    printed, errors = [], []

    def hook(msg):
        if msg["msg_type"] == "stream":
            printed.append(msg["content"]["text"])
        elif msg["msg_type"] == "error":
            errors.append(ANSI.sub("", "\n".join(msg["content"]["traceback"])))

    kernel.kc.execute_interactive(code, store_history=False, allow_stdin=False,
                                  timeout=HANDOUT_TIMEOUT_S, output_hook=hook)
    return "".join(printed), errors


def _handout_plan(notebook_item) -> dict | None:
    """For a notebook of notebooks/: each code cell's hand-out source, and the last cell's id."""
    if not hasattr(notebook_item, "_handout"):
        plan = None
        if Path(str(notebook_item.fspath)).parent == ROOT / "notebooks":
            sys.path.insert(0, str(ROOT / "tools"))
            from make_student import student_version
            handout = student_version(notebook_item.nb)
            code = [c for c in handout.cells if c.cell_type == "code"]
            plan = {"source": {c.id: c.source for c in code}, "last": code[-1].id,
                    "stopped": None, "started": False}
        notebook_item._handout = plan
    return notebook_item._handout


@pytest.hookimpl(wrapper=True)
def pytest_runtest_call(item):
    from nbval.plugin import IPyNbCell
    plan = _handout_plan(item.parent) if isinstance(item, IPyNbCell) else None
    if plan is None or plan["stopped"]:
        return (yield)
    kernel, cell = item.parent.kernel, item.cell
    if not plan["started"]:
        plan["started"] = True
        _kernel_run(kernel, f"import sys as _sys\n_sys.path.insert(0, {str(ROOT / 'tests')!r})\n"
                            "import handout_shadow as _handout_shadow\n"
                            "_handout = _handout_shadow.Shadow(get_ipython().user_ns)")
    _, errors = _kernel_run(kernel, f"_handout.before({cell.id!r}, "
                                    f"{plan['source'][cell.id]!r}, {cell.source!r})")
    if errors:
        plan["stopped"] = cell.id
    result = yield  # nbval runs the answer key's cell
    if errors:
        pytest.fail(f"{item.parent.name}: a learner's Run All of the hand-out, with nothing "
                    f"solved, stops at cell {cell.id}:\n{errors[0][-2000:]}", pytrace=False)
    _, after_errors = _kernel_run(kernel, "_handout.after()")
    assert not after_errors, after_errors[0][-2000:]
    if cell.id == plan["last"]:
        printed, _ = _kernel_run(kernel, "print(_handout.not_solved_messages(), "
                                         "len(_handout.ran), *_handout.ran)")
        said, ran, *ran_ids = printed.split()
        said, ran = int(said), int(ran)
        if os.environ.get("HANDOUT_REPORT"):  # which cells ran twice, for whoever tunes this
            with open(os.environ["HANDOUT_REPORT"], "a", encoding="utf-8") as f:
                f.write(f"{item.parent.name}: {ran} cells ran as the hand-out has them, "
                        f"{said} 'not solved yet' messages: {' '.join(ran_ids)}\n")
        assert said > 0, (f"{item.parent.name}: the hand-out ran to its end but no exercise "
                          f"said it is not solved yet")
    return result
