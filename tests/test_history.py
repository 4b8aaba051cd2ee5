"""helpers.history: the History record, and the one-way dependencies of the package."""

import subprocess
import sys

import numpy as np
import pytest

from helpers.history import History


def test_steps_to_accuracy_final_accuracy_and_summary():
    h = History(label="run", steps_done=30, eval_steps=np.array([0, 10, 20, 30]),
                test_accuracy=np.array([0.1, 0.5, 0.91, 0.89]))
    assert h.steps_to_accuracy(0.9) == 20 and h.steps_to_accuracy(0.95) is None
    assert h.final_test_accuracy == pytest.approx(0.89)
    assert h.summary().startswith("run: finished after 30 steps, final test accuracy 0.890")


def test_an_empty_or_diverged_history_says_so():
    assert np.isnan(History().final_test_accuracy)
    assert "DIVERGED at step 7" in History(diverged=True, diverged_at=7).summary()


@pytest.mark.parametrize("module, absent", [
    ("helpers.plots", "helpers.training"),
    ("helpers.history", "torch"),
    ("helpers.measurements", "helpers.training"),
    ("helpers.whitening", "matplotlib"),
])
def test_dependencies_point_one_way(module, absent):
    code = f"import {module}, sys; print({absent!r} in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False", f"importing {module} loads {absent}"
