"""Figure helpers in the course's one style. Each takes ``ax=None`` and returns the axes.

They never call plt.show(): the notebook does, so a learner sees where a figure ends.
A diverged run is drawn up to its last finite value and marked with an ✕ and "(diverged)".

Taught in notebook 00.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import matplotlib.pyplot as plt
import numpy as np

from helpers.training import PERCENTILES, History

PCT_STYLES = {15: ":", 50: "-", 85: "--"}


def _ax(ax):
    return ax if ax is not None else plt.subplots()[1]


def _runs(histories) -> list[History]:
    if isinstance(histories, History):
        return [histories]
    if isinstance(histories, Mapping):
        return list(histories.values())
    if isinstance(histories, Sequence) and all(isinstance(h, History) for h in histories):
        return list(histories)
    raise ValueError("expected a History, a list of Histories, or a dict label -> History")


def _label(h: History) -> str:
    name = h.label or "run"
    return f"{name} (diverged at step {h.diverged_at})" if h.diverged else name


def plot_accuracy(histories, ax=None, threshold: float | None = None, train: bool = False):
    """Test accuracy (and train-subset accuracy, dashed, if ``train``) against training steps."""
    ax = _ax(ax)
    for h in _runs(histories):
        line, = ax.plot(h.eval_steps, h.test_accuracy, label=_label(h))
        if train:
            ax.plot(h.eval_steps, h.train_accuracy, "--", color=line.get_color(),
                    label=f"{h.label} (train)")
        if h.diverged and len(h.eval_steps):
            ax.plot(h.eval_steps[-1], h.test_accuracy[-1], "x", color=line.get_color(), ms=10)
    if threshold is not None:
        ax.axhline(threshold, color="grey", lw=1, ls=":", label=f"{threshold:.0%} accuracy")
    ax.set(xlabel="training step", ylabel="test accuracy", title="Test accuracy")
    ax.legend()
    return ax


def plot_loss(histories, ax=None, smooth: int = 20, log: bool = True):
    """Training loss against steps, averaged over windows of ``smooth`` steps."""
    ax = _ax(ax)
    for h in _runs(histories):
        loss = np.asarray(h.train_loss, dtype=float)
        k = max(1, min(smooth, len(loss)))
        curve = np.convolve(loss, np.ones(k) / k, mode="valid") if len(loss) else loss
        line, = ax.plot(np.arange(len(curve)) + k - 1, curve, label=_label(h))
        if h.diverged and len(curve):
            ax.plot(len(loss) - 1, curve[-1], "x", color=line.get_color(), ms=10)
    if log:
        ax.set_yscale("log")
    ax.set(xlabel="training step", ylabel=f"training loss (mean of {smooth} steps)",
           title="Training loss")
    ax.legend()
    return ax


def plot_percentiles(history: History, layer: int = -1, which: str = "unit", ax=None):
    """The 15th, 50th and 85th percentiles of one layer's pre-activation input over training.

    which: "unit" (the recorded unit, as in Ioffe & Szegedy's Figure 1) or "all" (all units).
    """
    if which not in ("unit", "all"):
        raise ValueError(f"plot_percentiles: which must be 'unit' or 'all', got {which!r}")
    ax = _ax(ax)
    data = history.unit_percentiles if which == "unit" else history.pre_percentiles
    for j, p in enumerate(PERCENTILES):
        ax.plot(history.record_steps, data[:, layer, j], PCT_STYLES[p], color="C0",
                label=f"{p}th percentile")
    who = f"unit {history.unit}" if which == "unit" else "all units"
    name = history.layer_names[layer]
    ax.set(xlabel="training step", ylabel="input to the activation",
           title=f"{history.label}: {name} input, {who}")
    ax.legend()
    return ax


def plot_unit_medians(history: History, layer: int = -1, ax=None, vmax: float | None = None):
    """Heatmap of every unit's median pre-activation (rows: units, columns: recorded steps)."""
    ax = _ax(ax)
    medians = history.unit_medians[layer].T  # (width, T)
    vmax = vmax or float(np.nanmax(np.abs(medians))) or 1.0
    steps = history.record_steps
    im = ax.imshow(medians, aspect="auto", cmap="RdBu_r", vmin=-vmax, vmax=vmax,
                   extent=(steps[0], steps[-1], medians.shape[0] - 0.5, -0.5),
                   interpolation="nearest")
    ax.figure.colorbar(im, ax=ax, label="median input")
    ax.grid(False)
    ax.set(xlabel="training step", ylabel="unit",
           title=f"{history.label}: every unit's median ({history.layer_names[layer]})")
    return ax


def plot_layer_curves(history: History, quantity: str = "grad_norm", ax=None, log: bool = True):
    """One curve per layer over training: "grad_norm", "saturated", "pre_mean" or "pre_std"."""
    labels = {"grad_norm": "gradient norm of the weights", "saturated": "fraction saturated",
              "pre_mean": "mean input to the activation", "pre_std": "std of that input"}
    if quantity not in labels:
        raise ValueError(f"plot_layer_curves: quantity must be one of {list(labels)}, "
                         f"got {quantity!r}")
    ax = _ax(ax)
    values = getattr(history, quantity)
    names = [f"layer {i + 1}" for i in range(values.shape[1])]
    if quantity == "grad_norm":
        names[-1] = "output layer"
    colors = plt.cm.viridis(np.linspace(0, 0.9, values.shape[1]))
    for i, name in enumerate(names):
        ax.plot(history.record_steps, values[:, i], color=colors[i], label=name)
    if log and quantity == "grad_norm":
        ax.set_yscale("log")
    ax.set(xlabel="training step", ylabel=labels[quantity], title=f"{history.label}: {quantity}")
    ax.legend(fontsize="small", ncol=2)
    return ax


def show_digits(x, y=None, n: int = 32, cols: int = 8, ax=None):
    """A grid of the first ``n`` MNIST images x (N, 784), titled with their labels y."""
    x = np.asarray(x)
    if x.ndim != 2 or x.shape[1] != 784:
        raise ValueError(f"show_digits: x must have shape (N, 784), got {x.shape}")
    n = min(n, len(x))
    rows = int(np.ceil(n / cols))
    grid = np.ones((rows * 29 + 1, cols * 29 + 1))
    for k in range(n):
        r, c = divmod(k, cols)
        grid[1 + r * 29:r * 29 + 29, 1 + c * 29:c * 29 + 29] = 1 - x[k].reshape(28, 28)
    ax = _ax(ax)
    ax.imshow(grid, cmap="gray", vmin=0, vmax=1)
    ax.set_xticks([]), ax.set_yticks([])
    ax.grid(False)
    if y is not None:
        ax.set_title("labels: " + " ".join(str(int(v)) for v in np.asarray(y)[:n]), fontsize=9)
    return ax
