"""The student versions (`make student`) run top to bottom for a learner who solves nothing.

Each student notebook is executed the way Run All does it in JupyterLab and Colab: it stops at
the first cell that raises. It must reach the last cell: an unsolved exercise says so (with a hint)
and the notebook goes on with the course's own version (``helpers.exercises``).
"""

import os
from pathlib import Path

import nbformat
import pytest
from make_student import student_version
from nbclient import NotebookClient
from nbclient.exceptions import CellExecutionError

ROOT = Path(__file__).resolve().parent.parent
NOTEBOOKS = sorted((ROOT / "notebooks").glob("*.ipynb"))
# Notebooks whose hand-out still stops at an exercise: the test must fail for them (strict), so
# that converting one forces it off this list.
KNOWN_FAILING: set[str] = set()


def check_student_version(path, monkeypatch, request):
    if path.stem in KNOWN_FAILING:
        request.applymarker(pytest.mark.xfail(strict=True, reason="Run All still stops at an "
                                              "unsolved exercise"))
    monkeypatch.setenv("TQDM_DISABLE", "1")
    student = student_version(nbformat.read(path, as_version=4))
    assert "NotImplementedError" in "".join(c.source for c in student.cells)
    client = NotebookClient(student, timeout=600, kernel_name="python3",
                            resources={"metadata": {"path": str(path.parent)}})
    try:
        client.execute()
    except CellExecutionError as err:
        ran = [i for i, c in enumerate(student.cells)
               if c.cell_type == "code" and c.get("execution_count")]
        stop = ran[-1] if ran else 0
        pytest.fail(f"{path.name}: Run All with nothing solved stops at cell {stop} of "
                    f"{len(student.cells)}:\n{str(err)[-1500:]}")
    unsolved = "".join(out.get("text", "") for c in student.cells if c.cell_type == "code"
                       for out in c.outputs if out.output_type == "stream")
    assert "is not solved yet" in unsolved, f"{path.name}: no exercise said it is unsolved"
    assert os.environ["TQDM_DISABLE"] == "1"


@pytest.mark.parametrize("path", NOTEBOOKS, ids=[p.stem for p in NOTEBOOKS])
def test_committed_handout_is_what_make_student_writes(path):
    """student/ is committed (one click opens a hand-out in Colab); it must be in step."""
    handout = ROOT / "student" / path.name
    assert handout.exists(), f"student/{path.name} is missing: run `make student`"
    expected = nbformat.writes(student_version(nbformat.read(path, as_version=4), path.name))
    assert handout.read_text(encoding="utf-8") == expected + "\n", \
        f"student/{path.name} is out of step with notebooks/{path.name}: run `make student`"


def _student_test(path):
    """One test class per notebook, so that pytest-xdist's --dist loadscope spreads them."""

    class StudentVersion:
        def test_run_all_reaches_the_end(self, monkeypatch, request):
            check_student_version(path, monkeypatch, request)

    return StudentVersion


for _path in NOTEBOOKS:
    globals()[f"TestStudent{_path.name[:2]}"] = _student_test(_path)
