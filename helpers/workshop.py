"""Workshop helpers: predict-then-run questions, and the class-wide seed experiment.

    from helpers import workshop
    workshop.start("01", seed=SEED, record=RECORD)     # RECORD: a parameter, False by default
    workshop.predict("what_bn_changes", PREDICTION)    # where the prediction is made
    ...
    workshop.record("steps_to_90_bn", bn_steps)        # at a check cell: a headline number
    workshop.reveal(PREDICTION, answer="b", why="…", question="what_bn_changes")  # never fails
    workshop.share()                                   # last cell: one line to paste

With ``record=True`` every ``predict``, ``record`` and ``reveal`` call is saved to
``results/NN_seed<SEED>.json`` (or ``COURSE_RESULTS`` if set), one small file per notebook and
seed, and ``share`` prints the same results as one short line (``icsbn/1 …``) that a learner
pastes into the room's chat or a shared document. ``tools/gather_results.py`` reads both, the
files and text files of pasted lines, into one table and one figure per notebook, and, with
``--predictions``, the room's predictions before anyone reveals. A prediction is recorded where
it is made, before the experiment runs; one made in an answer key (a committed notebook, not a
hand-out) is marked ``answer_key`` and left out of the room's tally. With ``record=False`` (the
default) nothing is written. Taught in notebook 00.
"""

from __future__ import annotations

import json
import math
import os
from pathlib import Path

_state: dict = {"notebook": None, "seed": None, "path": None, "data": None, "record": False}
CHOICES = ("a", "b", "c")
LINE_TAG = "icsbn/1"  # the first word of a pasted results line (format version 1)


def start(notebook: str, seed: int, record: bool = False, folder: str | Path | None = None,
          handout: bool = False):
    """Begin a notebook's record. notebook: its number, e.g. "01"; seed: the notebook's SEED.

    record: True saves every later ``predict``/``record``/``reveal`` call to
    ``<folder>/<notebook>_seed<seed>.json``; folder defaults to $COURSE_RESULTS, else the
    course's ``results/`` folder. handout: True in the hand-outs (``make student`` writes it);
    predictions made in an answer key are marked as such. Returns the file's path, or None.
    """
    if not isinstance(notebook, str) or not notebook:
        raise ValueError(f"workshop.start: notebook must be a name such as '01', got {notebook!r}")
    folder = Path(folder or os.environ.get("COURSE_RESULTS")
                  or Path(__file__).resolve().parent.parent / "results")
    path = folder / f"{notebook}_seed{seed}.json" if record else None
    data = {"notebook": notebook, "seed": seed, "answer_key": not handout, "measurements": {},
            "predictions": {}}
    _state.update(notebook=notebook, seed=seed, path=path, data=data, record=bool(record))
    _save()
    return path


def predict(question: str, prediction) -> None:
    """Record a learner's prediction where it is made, before the experiment runs.

    question: the name the reveal uses; prediction: "a", "b" or "c", or None (not made yet).
    Prints what was recorded, or how to make a prediction; when recording, also the line to paste
    (``share``), so the room's predictions can be tallied before anyone reveals. A choice other
    than a, b, c is a clear error. Returns nothing.
    """
    guess = _choice("workshop.predict", prediction)
    if guess is None:
        print('No prediction yet: set it in this cell to "a", "b" or "c" and run it again.')
    else:
        print(f"Prediction ({guess}) noted for '{question}'. Now run the experiment.")
    if _state["data"] is not None:
        entry = _state["data"]["predictions"].setdefault(question, {"answer": None})
        entry["prediction"] = guess
        _save()
        if guess is not None:
            share()  # when recording: a line to paste now, so the room can tally before the reveal


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
    answer = str(answer).strip().lower()
    right = guess == answer
    if guess is None:
        print(f"The measurement says ({answer}). {why}")
    elif right:
        print(f"You predicted ({guess}): right, the measurement says ({answer}). {why}")
    else:
        print(f"You predicted ({guess}); the measurement says ({answer}). {why}")
    if _state["data"] is not None:
        entry = _state["data"]["predictions"].setdefault(question, {"prediction": guess})
        entry["answer"] = answer  # the prediction stays as made before the experiment
        _save()


def share() -> str | None:
    """When recording, print this notebook's results as one line to paste into the room's chat.

    The line: ``icsbn/1 NN seed=S [key] m:name=value … p:question=prediction:answer …`` (``-``
    for a prediction not made or an answer not yet revealed; ``key`` marks an answer key's run).
    ``tools/gather_results.py`` reads text files of such lines. Returns the line, or None (and
    prints nothing) when not recording.
    """
    data = _state["data"]
    if data is None or not _state["record"]:
        return None
    words = [LINE_TAG, data["notebook"], f"seed={data['seed']}"] + \
        (["key"] if data.get("answer_key") else [])
    words += [f"m:{k}={'nan' if v is None else f'{v:.6g}'}"
              for k, v in data["measurements"].items()]
    words += [f"p:{q}={p.get('prediction') or '-'}:{p.get('answer') or '-'}"
              for q, p in data["predictions"].items()]
    line = " ".join(words)
    print("Paste this line into the room's chat or shared document:\n" + line)
    return line


def parse_line(text: str) -> dict | None:
    """The record of one pasted line (anything before ``icsbn/1`` is ignored), or None."""
    if LINE_TAG not in text:
        return None
    words = text[text.index(LINE_TAG):].split()
    try:
        data = {"notebook": words[1], "seed": int(words[2].removeprefix("seed=")),
                "answer_key": "key" in words[3:], "measurements": {}, "predictions": {}}
    except (IndexError, ValueError):
        return None
    for word in words[3:]:
        kind, _, rest = word.partition(":")
        name, _, value = rest.partition("=")
        if kind == "m" and name:
            number = float(value) if value not in ("", "nan") else math.nan
            data["measurements"][name] = None if math.isnan(number) else number
        elif kind == "p" and name:
            guess, _, answer = value.partition(":")
            data["predictions"][name] = {"prediction": None if guess in ("", "-") else guess,
                                         "answer": None if answer in ("", "-") else answer}
    return data


def _choice(caller: str, prediction) -> str | None:
    if prediction is None:
        return None
    guess = str(prediction).strip().lower()
    if guess not in CHOICES:
        raise ValueError(f'{caller}: a prediction is "a", "b" or "c" (or None), '
                         f"got {prediction!r}")
    return guess


def _save() -> None:
    if _state["path"] is None:
        return
    _state["path"].parent.mkdir(parents=True, exist_ok=True)
    _state["path"].write_text(json.dumps(_state["data"], indent=1), encoding="utf-8")
