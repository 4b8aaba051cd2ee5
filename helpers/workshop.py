"""Workshop helpers: predict-then-run questions, and the class-wide seed experiment.

    from helpers import workshop
    workshop.start("01", seed=SEED, record=RECORD)     # RECORD: a parameter, False by default
    ...
    workshop.record("steps_to_90_bn", bn_steps)        # at a check cell: a headline number
    workshop.reveal(PREDICTION, answer="b", why="…")   # after the experiment; never fails

With ``record=True`` every ``record`` and ``reveal`` call is saved to
``results/NN_seed<SEED>.json`` (or ``COURSE_RESULTS`` if set), one small file per notebook and
seed; ``tools/gather_results.py`` gathers a room's files into one table and one figure per
notebook. With ``record=False`` (the default) nothing is written. Taught in notebook 00.
"""

from __future__ import annotations

import json
import math
import os
from pathlib import Path

_state: dict = {"notebook": None, "seed": None, "path": None, "data": None}


def start(notebook: str, seed: int, record: bool = False, folder: str | Path | None = None):
    """Begin a notebook's record. notebook: its number, e.g. "01"; seed: the notebook's SEED.

    record: True saves every later ``record``/``reveal`` call to
    ``<folder>/<notebook>_seed<seed>.json``; folder defaults to $COURSE_RESULTS, else the
    course's ``results/`` folder. Returns the file's path, or None when not recording.
    """
    if not isinstance(notebook, str) or not notebook:
        raise ValueError(f"workshop.start: notebook must be a name such as '01', got {notebook!r}")
    folder = Path(folder or os.environ.get("COURSE_RESULTS")
                  or Path(__file__).resolve().parent.parent / "results")
    path = folder / f"{notebook}_seed{seed}.json" if record else None
    data = {"notebook": notebook, "seed": seed, "measurements": {}, "predictions": {}}
    _state.update(notebook=notebook, seed=seed, path=path, data=data)
    _save()
    return path


def record(name: str, value) -> None:
    """Keep one headline measurement (a number) under ``name``; saved only when recording."""
    if _state["data"] is None:
        raise ValueError("workshop.record: call workshop.start(notebook, seed, record) first")
    value = float(value) if value is not None else float("nan")
    _state["data"]["measurements"][name] = None if math.isnan(value) else value
    _save()


def reveal(prediction, answer: str, why: str, question: str = "prediction") -> None:
    """Compare a learner's prediction with the measured answer and explain it; never fails.

    prediction: the learner's choice, e.g. "b", or None when they made none.
    answer: the choice the experiment just supported (computed from the measurement).
    why: two sentences explaining the answer. question: a name for the record.
    Prints the comparison (and returns nothing, so a notebook cell shows only the text).
    """
    guess = str(prediction).strip().lower() if prediction is not None else None
    right = guess == str(answer).strip().lower()
    if guess is None:
        print(f"The measurement says ({answer}). {why}")
    elif right:
        print(f"You predicted ({guess}): right, the measurement says ({answer}). {why}")
    else:
        print(f"You predicted ({guess}); the measurement says ({answer}). {why}")
    if _state["data"] is not None:
        _state["data"]["predictions"][question] = {"prediction": guess, "answer": answer}
        _save()


def _save() -> None:
    if _state["path"] is None:
        return
    _state["path"].parent.mkdir(parents=True, exist_ok=True)
    _state["path"].write_text(json.dumps(_state["data"], indent=1), encoding="utf-8")
