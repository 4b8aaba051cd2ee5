"""The notebook conventions of CONTRIBUTING.md, checked for every notebook."""

import json
import re
from pathlib import Path

import nbformat
import pytest
from course import bootstrap_source, colab_badge

ROOT = Path(__file__).resolve().parent.parent
NOTEBOOKS = sorted((ROOT / "notebooks").glob("*.ipynb"))
ABSOLUTE_PATH = re.compile(
    r"(/home/|/Users/|/root/|/work/|/tmp/|/content/|[A-Z]:\\\\|site-packages)")
MAX_BYTES = 1_500_000


def code_cells(nb):
    return [c for c in nb.cells if c.cell_type == "code"]


@pytest.fixture(params=NOTEBOOKS, ids=[p.stem for p in NOTEBOOKS])
def notebook(request):
    path = request.param
    return path, nbformat.read(path, as_version=4)


def test_there_are_notebooks():
    assert NOTEBOOKS and NOTEBOOKS[0].name == "00_start_here.ipynb"
    assert all(re.fullmatch(r"\d\d_[a-z0-9_]+\.ipynb", p.name) for p in NOTEBOOKS)


def test_valid_nbformat_and_size(notebook):
    path, nb = notebook
    nbformat.validate(nb)
    assert path.stat().st_size < MAX_BYTES, f"{path.name} is over 1.5 MB"


def test_executed_once_top_to_bottom(notebook):
    path, nb = notebook
    counts = [c.execution_count for c in code_cells(nb)]
    assert counts == list(range(1, len(counts) + 1)), \
        f"{path.name}: run it top to bottom in a fresh kernel (make execute NB=...)"


def test_no_errors_warnings_or_local_paths(notebook):
    path, nb = notebook
    for i, cell in enumerate(code_cells(nb), start=1):
        for out in cell.outputs:
            assert out.output_type != "error", f"{path.name} cell {i} stored an error"
            text = out.get("text", "") + json.dumps(out.get("data", {}).get("text/plain", ""))
            if out.get("name") == "stderr":
                assert "Warning" not in text, f"{path.name} cell {i} shows a warning: {text}"
            assert not ABSOLUTE_PATH.search(text), f"{path.name} cell {i} shows a local path"


def test_first_cell_title_badge_objectives(notebook):
    path, nb = notebook
    first = nb.cells[0]
    assert first.cell_type == "markdown" and first.source.startswith(f"# {path.name[:2]} · ")
    assert colab_badge(path.name) in first.source, f"{path.name}: run `make sync`"
    for heading in ("Learning objectives", "Prerequisites", "Estimated time"):
        assert heading in first.source, f"{path.name}: first cell lacks '{heading}'"


def test_parameters_cell_with_seed(notebook):
    path, nb = notebook
    tagged = [c for c in code_cells(nb) if "parameters" in c.metadata.get("tags", [])]
    assert len(tagged) == 1, f"{path.name}: exactly one code cell must be tagged 'parameters'"
    assert re.search(r"^SEED = 0$", tagged[0].source, re.M), "the committed SEED is 0"


def test_bootstrap_cell_is_the_canonical_one(notebook):
    path, nb = notebook
    sources = [c.source for c in code_cells(nb)]
    assert bootstrap_source() in sources, f"{path.name}: bootstrap cell differs; run `make sync`"
    assert sources.index(bootstrap_source()) == 1, "bootstrap comes right after the parameters"


def test_has_check_cells_and_balanced_solutions(notebook):
    path, nb = notebook
    code = "\n".join(c.source for c in code_cells(nb))
    assert "claim(" in code, f"{path.name}: every notebook checks its claims with claim(...)"
    assert code.count("### BEGIN SOLUTION") == code.count("### END SOLUTION") > 0
    for heading in ("## Recap", "## Exercises", "## References"):
        assert any(heading in c.source for c in nb.cells if c.cell_type == "markdown"), heading


def test_every_notebook_is_on_both_course_maps():
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    start = nbformat.read(ROOT / "notebooks" / "00_start_here.ipynb", as_version=4)
    course_map = "\n".join(c.source for c in start.cells if c.cell_type == "markdown")
    for path in NOTEBOOKS:
        assert f"(notebooks/{path.name})" in readme, f"README's course map lacks {path.name}"
        row = next(line for line in course_map.splitlines()
                   if line.startswith(f"| {path.name[:2]} |"))
        assert "planned" not in row, f"notebook 00 still lists {path.name} as planned"
    linked = set(re.findall(r"\(notebooks/(\d\d_[a-z0-9_]+\.ipynb)\)", readme))
    assert linked <= {p.name for p in NOTEBOOKS}, "README links a notebook that does not exist"


PLACEHOLDER = re.compile(r"«[^»]*»|\{\{[^}]*\}\}"  # «S01_GROW», {{GAIN}}
                         r"|\b[A-Z][A-Z0-9]*_[A-Z0-9_]{2,}\b|\bROBUST\d*\b"  # SWEEP_31, ROBUST4
                         r"|\{[a-z]+_[a-z_]+\}")  # {sp_lo}


def test_no_unfilled_placeholders_in_prose(notebook):
    """A sentence a learner reads never shows a placeholder waiting for a sweep's numbers."""
    path, nb = notebook
    for cell in nb.cells:
        if cell.cell_type == "markdown":
            # code names such as `RECORD_DIR` and mathematics such as $x_{g_i}$ are fine
            text = re.sub(r"`[^`]*`|\$\$.*?\$\$|\$[^$]*\$", "", cell.source, flags=re.S)
            found = PLACEHOLDER.findall(text)
            assert not found, f"{path.name} cell {cell.id}: unfilled placeholder(s) {found}"


KEY = re.compile(r'^PREDICTION\w* = "([abc])"', re.M)


def test_answer_keys_are_spread_over_the_letters():
    """A room must not learn to pick one letter: no letter answers more than half the questions."""
    keys = [k for path in NOTEBOOKS for cell in code_cells(nbformat.read(path, as_version=4))
            for k in KEY.findall(cell.source)]
    counts = {letter: keys.count(letter) for letter in "abc"}
    assert len(keys) >= 14 and max(counts.values()) <= len(keys) / 2, counts


def test_each_committed_reveal_agrees_with_the_answer_key(notebook):
    """At the committed seed the measured answer is the answer key's (the sweep checks others)."""
    path, nb = notebook
    for cell in code_cells(nb):
        text = "".join(out.get("text", "") for out in cell.outputs)
        assert "; the measurement says" not in text, \
            f"{path.name} cell {cell.id}: the measured answer differs from the answer key"
