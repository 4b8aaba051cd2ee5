"""tools/study_time.py: the declared study-time estimate, and every course map in step with it."""

from pathlib import Path

import nbformat
import pytest
from study_time import (
    MAX_CORE_MIN,
    estimate,
    estimates,
    fill_spans,
    span_text,
    write_maps,
)

ROOT = Path(__file__).resolve().parent.parent


def _notebook(tmp_path, cells, run_seconds=30.0):
    nb = nbformat.v4.new_notebook()
    nb.metadata["course"] = {"run_seconds": run_seconds}
    nb.cells = cells
    path = tmp_path / "99_example.ipynb"
    nbformat.write(nb, path)
    return path


def test_the_estimate_follows_the_declared_rule(tmp_path):
    md, code = nbformat.v4.new_markdown_cell, nbformat.v4.new_code_cell
    path = _notebook(tmp_path, [
        md("# 99 · Title\n\n" + "word " * 296),                   # 300 words
        code("SEED = 0"), code("# bootstrap\nimport sys"),          # set-up: not counted
        md("## 1 · A section\n\n### Exercise 99.1 ★ — do it"),      # 12 words, 1 exercise
        code("x = 1\n\ny = 2\n" + "z = 3\n" * 13),                  # 15 lines
        code('PREDICTION = "a"'),                                   # 1 line, 1 prediction
        md("<details><summary>Robust?</summary> " + "w " * 150 + "</details>"),
        md("## Exercises\n\n1. ★ One.\n2. ★★ (above) Two."),       # going further: 1 exercise
        code("solution = 1"),                                       # going further: 1 line
        md("## Going further\n\n" + "w " * 144),                    # 147 words
        md("## References\n\n" + "ignored " * 500),
    ])
    e = estimate(path)
    assert (e.core.words, e.core.code_lines, e.core.exercises, e.core.predictions) == \
        (312, 16, 1, 1)
    assert e.core.minutes == pytest.approx(312 / 150 + 16 / 15 + 5 + 1 + 0.5)
    assert e.further.exercises == 1 and e.further.code_lines == 1
    assert e.further.words == 152 + 9 + 147  # the note, the exercise list, going further


def test_spans_are_filled_from_the_tool():
    rows = estimates()
    text = "a <!--study:05-->old<!--/study--> b <!--run:all-->old<!--/run-->"
    filled = fill_spans(text, rows)
    assert span_text("study", "05", rows) in filled and "old" not in filled
    assert fill_spans(filled, rows) == filled
    with pytest.raises(ValueError, match="no notebook numbered 77"):
        span_text("run", "77", rows)


def test_every_course_map_agrees_with_the_tool():
    stale = write_maps(estimates(), check=True)
    assert not stale, f"run `python tools/study_time.py --write` (or make execute): {stale}"


def test_every_notebook_states_its_times_through_the_tool():
    for e in estimates():
        first = nbformat.read(f"notebooks/{e.name}.ipynb", as_version=4).cells[0].source
        assert f"<!--study:{e.name[:2]}-->" in first, f"{e.name}: Estimated time needs a span"
        readme = open("README.md", encoding="utf-8").read()
        assert f"<!--study:{e.name[:2]}-->" in readme and f"<!--run:{e.name[:2]}-->" in readme


def test_every_core_fits_the_hour():
    over = {e.name: e.core_min for e in estimates() if e.core_min > MAX_CORE_MIN}
    assert not over, f"cores over {MAX_CORE_MIN} min by tools/study_time.py: {over}"


def test_an_agenda_adds_up_from_the_tools_numbers():
    from study_time import agenda_item, agenda_table

    rows = estimates()
    by = {e.name[:2]: e for e in rows}
    assert agenda_item("05", rows)[1:] == (by["05"].core_min, True)
    assert agenda_item("break 15", rows) == ("break", 15, False)
    assert agenda_item("07,08 +10", rows)[1] == max(by["07"].core_min, by["08"].core_min) + 10
    assert agenda_item("05 §1-2", rows)[1] <= by["05"].core_min
    table = agenda_table("t", "9:00", "00 | a\nbreak 10 | b", rows)
    end = 9 * 60 + by["00"].core_min + 10
    assert f"–{end // 60}:{end % 60:02d} | break | 10 | b |" in table
    with pytest.raises(ValueError, match="no section 99"):
        agenda_item("05 §99", rows)
    with pytest.raises(ValueError, match="cannot read"):
        agenda_item("lunch", rows)


def test_the_guides_agendas_fit_their_length():
    """Each agenda in the instructor guide is written by the tool and fits its stated length."""
    from study_time import AGENDA, agendas_over

    guide = (ROOT / "docs" / "instructor-guide.md").read_text(encoding="utf-8")
    found = AGENDA.findall(guide)
    assert len(found) >= 2 and all(m[3] for m in found), "each agenda states 'within H:MM'"
    assert agendas_over(guide, estimates()) == []
