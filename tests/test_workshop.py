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
        workshop.start("01", seed=seed, record=True, folder=tmp_path, handout=True)
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


def test_a_prediction_is_recorded_where_it_is_made(tmp_path, capsys):
    path = workshop.start("05", seed=2, record=True, folder=tmp_path, handout=True)
    workshop.predict("ablation", "B")
    out = capsys.readouterr().out
    assert "Prediction (b) noted" in out
    assert "icsbn/1 05 seed=2 p:ablation=b:-" in out  # a line to paste before the reveal
    assert json.loads(path.read_text())["predictions"]["ablation"] == \
        {"prediction": "b", "answer": None}
    workshop.reveal("c", answer="a", why="x", question="ablation")  # the earlier one stays
    data = json.loads(path.read_text())
    assert data["predictions"]["ablation"] == {"prediction": "b", "answer": "a"}
    assert data["answer_key"] is False
    workshop.predict("other", None)
    assert "No prediction yet" in capsys.readouterr().out
    with pytest.raises(ValueError, match='"a", "b" or "c"'):
        workshop.predict("other", "d")


def test_share_prints_one_line_that_gather_reads_back(tmp_path, capsys):
    workshop.start("03", seed=11, record=True, folder=tmp_path / "files", handout=True)
    workshop.predict("q", "c")
    workshop.record("ratio", 2.5)
    workshop.record("missing", float("nan"))
    line = workshop.share()
    assert line in capsys.readouterr().out
    assert workshop.parse_line("Alice: " + line) == {
        "notebook": "03", "seed": 11, "answer_key": False,
        "measurements": {"ratio": 2.5, "missing": None},
        "predictions": {"q": {"prediction": "c", "answer": None}}}
    workshop.start("03", seed=1, record=False)
    assert workshop.share() is None and capsys.readouterr().out == ""


def test_gather_reads_pasted_lines_tallies_learners_only_and_marks_seed_0(tmp_path, capsys):
    (tmp_path / "chat.txt").write_text(
        "Ann: icsbn/1 01 seed=3 m:layer_drift_ratio=4 p:what_bn_changes=a:-\n"
        "Bo: icsbn/1 01 seed=4 m:layer_drift_ratio=5 p:what_bn_changes=b:-\n"
        "icsbn/1 01 seed=5 key m:layer_drift_ratio=6 p:what_bn_changes=b:b\n"
        "some chatter without a result\n")
    gather([str(tmp_path), "--out", str(tmp_path / "out"), "--predictions"])
    out = capsys.readouterr().out
    assert "what_bn_changes: (a) 1, (b) 1" in out and "measured answer" not in out
    assert "1 run of an answer key left out" in out
    assert (tmp_path / "out" / "01_predictions.png").exists()
    gather([str(tmp_path), "--out", str(tmp_path / "out")])
    text = (tmp_path / "out" / "01.md").read_text()
    assert "| layer_drift_ratio | 3 | 5 | 4 | 6 |" in text
    assert not text.split("| layer_drift_ratio |")[1].split("\n")[0].endswith("| – |"), \
        "seed 0 comes from docs/seed-table.md when nobody ran it"
