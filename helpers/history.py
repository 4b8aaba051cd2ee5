"""History: everything one training run measured, as plain numpy arrays (numpy only).

    hist = train(net, steps=2000, seed=SEED)          # helpers.training fills a History
    hist.steps_to_accuracy(0.9), hist.final_test_accuracy, hist.pre_percentiles[:, -1]

Plots (helpers.plots) and measurements read a History; neither needs the trainer.
Shapes: T = recorded steps, L = hidden layers, E = evaluations. Taught in notebook 00.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

PERCENTILES = (15, 50, 85)  # the percentiles of a layer's input that a History records


@dataclass
class History:
    """Everything ``train`` measured. T = recorded steps, L = hidden layers, E = evaluations."""

    label: str = ""
    steps_done: int = 0
    train_loss: np.ndarray = field(default_factory=lambda: np.zeros(0))  # (steps_done,)
    eval_steps: np.ndarray = field(default_factory=lambda: np.zeros(0, int))  # (E,)
    test_loss: np.ndarray = field(default_factory=lambda: np.zeros(0))  # (E,)
    test_accuracy: np.ndarray = field(default_factory=lambda: np.zeros(0))  # (E,)
    train_accuracy: np.ndarray = field(default_factory=lambda: np.zeros(0))  # (E,)
    record_steps: np.ndarray = field(default_factory=lambda: np.zeros(0, int))  # (T,)
    layer_names: list[str] = field(default_factory=list)  # (L,) e.g. "act3"
    activations: list[str] = field(default_factory=list)  # (L,) "sigmoid" / "tanh" / "relu"
    unit: int = 0  # the unit whose percentiles are in unit_percentiles
    pre_mean: np.ndarray = field(default_factory=lambda: np.zeros((0, 0)))  # (T, L)
    pre_std: np.ndarray = field(default_factory=lambda: np.zeros((0, 0)))  # (T, L)
    pre_percentiles: np.ndarray = field(default_factory=lambda: np.zeros((0, 0, 3)))  # (T, L, 3)
    unit_percentiles: np.ndarray = field(default_factory=lambda: np.zeros((0, 0, 3)))  # (T, L, 3)
    unit_medians: list[np.ndarray] = field(default_factory=list)  # L arrays of (T, width_l)
    saturated: np.ndarray = field(default_factory=lambda: np.zeros((0, 0)))  # (T, L); NaN: ReLU
    grad_norm: np.ndarray = field(default_factory=lambda: np.zeros((0, 0)))  # (T, L + 1) ‖∇W‖
    error_norm: np.ndarray = field(default_factory=lambda: np.zeros((0, 0)))  # (T, L + 1) ‖∂ℓ/∂z‖
    diverged: bool = False
    diverged_at: int | None = None  # the step whose loss was not finite
    seconds: float = 0.0

    @property
    def final_test_accuracy(self) -> float:
        """Test accuracy at the last evaluation (NaN if none ran)."""
        return float(self.test_accuracy[-1]) if len(self.test_accuracy) else float("nan")

    def steps_to_accuracy(self, threshold: float) -> int | None:
        """First evaluated step whose test accuracy is ≥ threshold; None if never reached."""
        hit = np.flatnonzero(self.test_accuracy >= threshold)
        return int(self.eval_steps[hit[0]]) if len(hit) else None

    def summary(self) -> str:
        """One line: label, steps, final test accuracy, divergence."""
        state = f"DIVERGED at step {self.diverged_at}" if self.diverged else "finished"
        return (f"{self.label or 'run'}: {state} after {self.steps_done} steps, final test "
                f"accuracy {self.final_test_accuracy:.3f} ({self.seconds:.1f} s)")
