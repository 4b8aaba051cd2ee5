"""helpers.workshop (predictions, records) and tools/gather_results.py on a few seeds' files."""

import json

import pytest
from gather_results import main as gather

from helpers import workshop


def test_nothing_is_written_unless_recording(tmp_path):
    assert workshop.start("01", seed=3, record=False, folder=tmp_path) is None
    workshop.record("steps", 400)
    workshop.reveal("a", answer="a", why="Because.")
    assert list(tmp_path.iterdir()) == []


def test_reveal_never_fails_and_says_the_answer(capsys):
    workshop.start("02", seed=0)
    assert workshop.reveal(None, answer="b", why="Two sentences.") is None
    assert "The measurement says (b). Two sentences." in capsys.readouterr().out
    workshop.reveal(" B ", answer="b", why="x")
    assert "You predicted (b): right" in capsys.readouterr().out
    workshop.reveal(42, answer="b", why="x")
    assert "You predicted (42); the measurement says (b)" in capsys.readouterr().out


def test_records_are_saved_per_notebook_and_seed(tmp_path):
    path = workshop.start("07", seed=5, record=True, folder=tmp_path)
    workshop.record("speedup", 1.5)
    workshop.record("diverged", float("nan"))
    workshop.reveal("c", answer="a", why="x", question="q1")
    data = json.loads(path.read_text())
    assert path.name == "07_seed5.json" and data["seed"] == 5
    assert data["measurements"] == {"speedup": 1.5, "diverged": None}
    assert data["predictions"]["q1"] == {"prediction": "c", "answer": "a"}


def test_record_before_start_is_a_clear_error(monkeypatch):
    monkeypatch.setitem(workshop._state, "data", None)
    with pytest.raises(ValueError, match="workshop.start"):
        workshop.record("x", 1)


def test_gather_results_writes_a_table_and_a_figure_per_notebook(tmp_path):
    for seed, value, guess in ((0, 400.0, "a"), (1, 450.0, "b"), (2, 380.0, None)):
        workshop.start("01", seed=seed, record=True, folder=tmp_path)
        workshop.record("steps_to_90", value)
        workshop.reveal(guess, answer="a", why="x", question="faster")
    workshop.start("02", seed=0, record=True, folder=tmp_path)
    workshop.record("ratio", 3.0)
    gather([str(tmp_path), "--out", str(tmp_path / "out")])
    text = (tmp_path / "out" / "01.md").read_text()
    assert "| steps_to_90 | 3 | 400 | 380 | 450 | 400 |" in text
    assert "- faster: (a) 1, (b) 1, (none) 1; measured answer: a" in text
    assert (tmp_path / "out" / "01.png").stat().st_size > 1000
    assert (tmp_path / "out" / "02.md").exists()


def test_gather_results_without_files_says_so(tmp_path):
    with pytest.raises(SystemExit, match="no results files"):
        gather([str(tmp_path)])
