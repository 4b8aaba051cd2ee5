"""The hand-outs (`make student`): committed in step, and a learner's Run All reaches the end.

Run All of every hand-out is checked while nbval runs its answer key, in the same kernel
(tests/handout_check.py, with tests/handout_shadow.py): only the cells that can differ in the
hand-out run a second time. The tests below check that machinery on small notebooks of cells,
and that the committed hand-outs are what `make student` writes.
"""

from pathlib import Path

import nbformat
import pytest
from handout_shadow import HandoutStopped, Shadow
from make_student import strip_solutions, student_version

ROOT = Path(__file__).resolve().parent.parent
NOTEBOOKS = sorted((ROOT / "notebooks").glob("*.ipynb"))


def run_beside(cells):
    """Run (id, answer-key source) cells as nbval does, each hand-out cell beside it."""
    ns = {"__name__": "__main__"}
    shadow = Shadow(ns)
    for cell_id, key in cells:
        shadow.before(cell_id, strip_solutions(key), key)
        exec(compile(key, cell_id, "exec"), ns)
        shadow.after()
    return ns, shadow


EXERCISE = [
    ("imports", "from helpers.checks import claim\n"
                "from helpers.exercises import exercise, unsolved_ok"),
    ("data", "calls = []\ndata = [1, 2, 3]"),
    ("heavy", "calls.append('heavy')\ntotal = sum(data)"),
    ("solve", "@exercise('9.1', fallback=lambda x: 2 * x, hint='Double it.')\ndef double(x):\n"
              "    ### BEGIN SOLUTION\n    return 2 * x\n    ### END SOLUTION"),
    ("check", "with unsolved_ok('9.1'):\n    claim(double(2) == 4, 'double(2) is 4')"),
    ("use", "doubled = [double(x) for x in data]"),
    ("later", "calls.append('later')\nlast = total + 1"),
    ("predict", 'PREDICTION = "b"'),
    ("reveal", "seen = PREDICTION"),
]


def test_only_the_cells_that_can_differ_run_twice():
    ns, shadow = run_beside(EXERCISE)
    assert shadow.ran == ["solve", "check", "use", "predict", "reveal"]
    assert ns["calls"] == ["heavy", "later"], "an identical cell ran a second time"
    assert shadow.shadow["doubled"] == [2, 4, 6], "the hand-out goes on with the course's version"
    assert shadow.shadow["seen"] is None and ns["seen"] == "b"
    assert shadow.not_solved_messages() >= 1


def test_a_cell_at_which_run_all_stops_is_reported():
    cells = [("ok", "x = 1"), ("top", "### BEGIN SOLUTION\ny = 2\n### END SOLUTION"),
             ("after", "z = 3")]
    with pytest.raises(HandoutStopped, match="stops at cell top: NotImplementedError"):
        run_beside(cells)


def test_the_handout_runs_cannot_change_the_answer_keys_objects_or_random_numbers():
    import torch
    cells = [("data", "import torch\ndata = [1, 2, 3]"),
             ("solve", "def grow(xs):\n    ### BEGIN SOLUTION\n    return xs\n"
                       "    ### END SOLUTION"),
             ("mutate", "try:\n    grow(data)\nexcept NotImplementedError:\n"
                        "    data.append(99)\n    torch.rand(5)"),
             ("draw", "after = torch.rand(3)")]
    torch.manual_seed(0)
    ns, shadow = run_beside(cells)
    torch.manual_seed(0)
    assert ns["data"] == [1, 2, 3] and shadow.shadow["data"] == [1, 2, 3, 99]
    assert torch.equal(ns["after"], torch.rand(3)), "a hand-out run moved the random numbers"


def test_a_name_bound_before_it_is_read_does_not_make_a_cell_run_twice():
    """A check that stops early leaves its loop variable different in the two runs; a later
    cell that binds that name before reading it (and calls a method of the same name) computes
    the same in both, so it runs once."""
    cells = [("imports", "from helpers.exercises import exercise, unsolved_ok\nimport numpy as np"),
             ("solve", "@exercise('9.2', fallback=lambda x: x + 1)\ndef inc(x):\n"
                       "    ### BEGIN SOLUTION\n    return x + 1\n    ### END SOLUTION"),
             ("check", "with unsolved_ok('9.2'):\n    for var in (1, 2):\n"
                       "        assert inc(var) == var + 1"),
             ("heavy", "for var in (3, 4):\n    spread = np.arange(var).var()")]
    ns, shadow = run_beside(cells[:3])
    assert "var" in shadow.split, "the hand-out's check stopped at its first value"
    ns, shadow = run_beside(cells)
    assert shadow.ran == ["solve", "check"] and "var" not in shadow.split
    assert shadow.shadow["spread"] == ns["spread"] == 1.25


@pytest.mark.parametrize("decorator", ["", "@torch.no_grad()\n", "@staticmethod\n"])
def test_the_handouts_functions_call_the_handouts_versions(decorator):
    """A function the notebook defines (plain, wrapped by a decorator, or a class's method) looks
    up its globals in the hand-out's namespace when the hand-out runs, even one defined before
    the exercise it calls."""
    helper = decorator + "def signs(xs):\n    return [sign(x) for x in xs]"
    if "staticmethod" in decorator:
        helper = "class Signs:\n" + "".join(f"    {line}\n" for line in helper.splitlines())
        helper += "signs = Signs.signs"
    cells = [("imports", "import torch\nfrom helpers.exercises import exercise"),
             ("helper", helper),
             ("solve", "@exercise('9.3', fallback=lambda x: -1)\ndef sign(x):\n"
                       "    ### BEGIN SOLUTION\n    return 1\n    ### END SOLUTION"),
             ("use", "result = signs([5, 6])")]
    ns, shadow = run_beside(cells)
    assert ns["result"] == [1, 1] and shadow.shadow["result"] == [-1, -1]


@pytest.mark.parametrize("path", NOTEBOOKS, ids=[p.stem for p in NOTEBOOKS])
def test_every_handout_has_an_unsolved_exercise(path):
    student = student_version(nbformat.read(path, as_version=4))
    assert "NotImplementedError" in "".join(c.source for c in student.cells)

@pytest.mark.parametrize("path", NOTEBOOKS, ids=[p.stem for p in NOTEBOOKS])
def test_committed_handout_is_what_make_student_writes(path):
    """student/ is committed (one click opens a hand-out in Colab); it must be in step."""
    handout = ROOT / "student" / path.name
    assert handout.exists(), f"student/{path.name} is missing: run `make student`"
    expected = nbformat.writes(student_version(nbformat.read(path, as_version=4), path.name))
    assert handout.read_text(encoding="utf-8") == expected + "\n", \
        f"student/{path.name} is out of step with notebooks/{path.name}: run `make student`"


def test_values_that_cannot_be_compared_count_as_different():
    import numpy as np
    from handout_shadow import _same
    assert _same(np.array(["a", "b"]), np.array(["a", "b"]))
    assert not _same(np.array(["a"]), np.array([1.0]))
    assert _same(np.array([np.nan, 1.0]), np.array([np.nan, 1.0]))
    assert not _same((i for i in [1]), (i for i in [1]))  # not picklable: not known equal
