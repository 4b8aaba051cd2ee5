"""Write student versions of the notebooks: solutions removed, outputs cleared.

    python tools/make_student.py         (or: make student) -> student/*.ipynb

The hand-outs are committed, so that a learner opens one in Colab with one click (the README's
course map links each); a test fails when they are not what this tool makes from the notebooks.

In a code cell, every block from a line `### BEGIN SOLUTION` to a line `### END SOLUTION`
becomes `# YOUR CODE HERE` and `raise NotImplementedError`, at the block's indentation, and a
prediction line `PREDICTION = "b"` (or `PREDICTION_DRIFT = "b"`: the answer key's choice) becomes
`PREDICTION = None` (`PREDICTION_DRIFT = None`), for the
learner to set before running the experiment, and `workshop.start(...)` gets `handout=True`, so
that the predictions a hand-out records count in the room's tally (an answer key's do not).
"""

from __future__ import annotations

import re
import sys
from pathlib import Path

import nbformat

sys.path.insert(0, str(Path(__file__).resolve().parent))
from course import colab_badge, edition_folder  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
PREDICTION = re.compile(r"^(PREDICTION\w*) = .*$", re.MULTILINE)
START = re.compile(r"^(workshop\.start\(.*?)\)$", re.MULTILINE)
BLOCK = re.compile(r"^([ \t]*)### BEGIN SOLUTION[^\n]*\n.*?^[ \t]*### END SOLUTION[^\n]*(\n|$)",
                   re.MULTILINE | re.DOTALL)


def strip_solutions(source: str) -> str:
    """Replace each solution block in one cell's source."""
    if source.count("### BEGIN SOLUTION") != source.count("### END SOLUTION"):
        raise ValueError(f"unbalanced BEGIN/END SOLUTION markers in cell:\n{source}")
    source = PREDICTION.sub(r'\1 = None  # your prediction: "a", "b" or "c"', source)
    source = START.sub(lambda m: m[0] if "handout=" in m[1] else m[1] + ", handout=True)", source)
    return BLOCK.sub(lambda m: f"{m[1]}# YOUR CODE HERE\n{m[1]}raise NotImplementedError{m[2]}",
                     source)


HANDOUT_NOTE = {"en": " (hand-out: the exercises are yours to solve; the answer key is `{key}`)",
                "zh": "（讲义：练习留给你来完成；答案见 `{key}`）"}


def student_version(nb, name: str | None = None, lang: str = "en"):
    """A copy of the notebook with solutions stripped and every output cleared.

    name: the notebook's file name; given, the first cell's Colab badge opens the hand-out.
    lang: "zh" for the Chinese edition (tools/translate.py): its badge and note, in zh/.
    """
    nb = nbformat.from_dict(nb)
    for cell in nb.cells:
        if cell.cell_type == "code":
            cell.source = strip_solutions(cell.source)
            cell.outputs, cell.execution_count = [], None
    if name is not None and nb.cells and nb.cells[0].cell_type == "markdown":
        folder = edition_folder("notebooks", lang)
        note = HANDOUT_NOTE[lang].format(key=f"{folder}/{name}")
        nb.cells[0].source = nb.cells[0].source.replace(
            colab_badge(name, folder=folder),
            colab_badge(name, folder=edition_folder("student", lang)) + note)
    return nb


def main(out_dir: str = "student") -> None:
    out = ROOT / out_dir
    out.mkdir(exist_ok=True)
    for path in sorted((ROOT / "notebooks").glob("*.ipynb")):
        nb = student_version(nbformat.read(path, as_version=4), path.name)
        nbformat.validate(nb)
        nbformat.write(nb, out / path.name)
        print(f"wrote {out_dir}/{path.name}")


if __name__ == "__main__":
    main(*sys.argv[1:])
