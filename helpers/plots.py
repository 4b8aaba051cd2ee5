"""The figures several notebooks share, in the course's one style.

- training runs (a History): plot_accuracy, plot_loss, plot_percentiles, plot_unit_medians,
  plot_layer_curves
- one number per layer, per step or per size: plot_by_layer, plot_running_estimates, plot_loglog
- data: show_digits, show_images, plot_points_2d, plot_covariance, plot_decision_regions

Each takes ``ax=None`` and returns the axes; none calls plt.show(): the notebook does, so a
learner sees where a figure ends. A diverged run is drawn up to its last finite value and
marked with an ✕ and "(diverged)". Plots read a History (helpers.history); they never import the
trainer. A figure drawn once lives in its notebook or with the idea it shows (e.g.
helpers.whitening). Taught in notebook 00.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import matplotlib.pyplot as plt
import numpy as np

from helpers.checks import as_numpy
from helpers.history import PERCENTILES, History

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
           title=f"{history.label}: every unit's median "
                 f"(layer {layer % len(history.layer_names) + 1})")
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
    ax.set(xlabel="training step", ylabel=labels[quantity],
           title=f"{history.label}: {labels[quantity]}")
    ax.legend(fontsize="small", ncol=2)
    return ax


def show_digits(x, y=None, n: int = 32, cols: int = 8, ax=None):
    """A grid of the first ``n`` MNIST images x (N, 784), titled with their labels y."""
    x = _images(x, "show_digits")
    n = min(n, len(x))
    ax = _ax(ax)
    ax.imshow(_tile(1 - x[:n], cols, fill=1.0), cmap="gray", vmin=0, vmax=1)
    ax.set_xticks([]), ax.set_yticks([])
    ax.grid(False)
    if y is not None:
        ax.set_title("labels: " + " ".join(str(int(v)) for v in np.asarray(y)[:n]), fontsize=9)
    return ax


def _rows(a, fname: str, width: int, name: str) -> np.ndarray:
    """``a`` as a float array of shape (N, width), else a ValueError naming ``fname``."""
    a = np.asarray(a, dtype=float)
    if a.ndim != 2 or a.shape[1] != width:
        raise ValueError(f"{fname}: {name} must have shape (N, {width}), got {a.shape}")
    return a


def _images(x, fname: str) -> np.ndarray:
    return _rows(x, fname, 784, "x")


def _tile(images: np.ndarray, cols: int, fill: float) -> np.ndarray:
    """Lay out 28×28 images (rows of 784 values) in a grid, one pixel of ``fill`` between them."""
    rows = int(np.ceil(len(images) / cols))
    grid = np.full((rows * 29 + 1, cols * 29 + 1), fill)
    for k, img in enumerate(images):
        r, c = divmod(k, cols)
        grid[1 + r * 29:r * 29 + 29, 1 + c * 29:c * 29 + 29] = img.reshape(28, 28)
    return grid


def plot_points_2d(X, ax=None, title: str = "", color=None, lim: float | None = None,
                   arrows=None):
    """Scatter of 2-D points on equal axes, with optional colours and arrows from the origin.

    X: points, shape (N, 2).  color: None or values of shape (N,) for a cyclic colour map
    (the same values in several panels let the eye follow each point).
    lim: half-width of both axes (None: automatic).  arrows: None or shape (2, K), each
    column drawn as an arrow from (0, 0), e.g. principal axes scaled by their std.
    """
    X = _points(X, "plot_points_2d")
    ax = _ax(ax)
    ax.scatter(X[:, 0], X[:, 1], s=5, c=color, cmap="twilight" if color is not None else None,
               alpha=0.8, label=f"{len(X)} samples")
    if arrows is not None:
        for k, (dx, dy) in enumerate(np.asarray(arrows, dtype=float).T):
            ax.annotate("", xy=(dx, dy), xytext=(0, 0),
                        arrowprops={"arrowstyle": "-|>", "lw": 2.5, "color": "C3"})
            ax.text(dx * 1.15, dy * 1.15, f"axis {k + 1}", fontsize=9, color="C3",
                    fontweight="bold", ha="center", va="center")
    if lim is not None:
        ax.set(xlim=(-lim, lim), ylim=(-lim, lim))
    ax.axhline(0, color="grey", lw=0.8), ax.axvline(0, color="grey", lw=0.8)
    ax.set_aspect("equal")
    ax.set(xlabel="feature 1", ylabel="feature 2", title=title)
    ax.legend(loc="upper left", fontsize="small", handletextpad=0.1)
    return ax


def plot_covariance(S, ax=None, title: str = "", vmax: float | None = None,
                    annotate: bool | None = None):
    """Heatmap of a covariance (or correlation) matrix S of shape (D, D), 0 drawn white.

    vmax: colour limit (None: max |S|).  annotate: write the values (None: if D ≤ 8).
    """
    S = np.asarray(S, dtype=float)
    if S.ndim != 2 or S.shape[0] != S.shape[1]:
        raise ValueError(f"plot_covariance: S must be a square matrix, got shape {S.shape}")
    ax = _ax(ax)
    vmax = vmax or float(np.max(np.abs(S))) or 1.0
    im = ax.imshow(S, cmap="RdBu_r", vmin=-vmax, vmax=vmax, interpolation="nearest")
    if annotate or (annotate is None and len(S) <= 8):
        for (i, j), v in np.ndenumerate(S):
            ax.text(j, i, f"{v:.2f}", ha="center", va="center", fontsize=8,
                    color="w" if abs(v) > 0.6 * vmax else "k")
    ax.figure.colorbar(im, ax=ax, shrink=0.8, label="covariance")
    ticks = np.arange(len(S)) if len(S) <= 10 else np.linspace(0, len(S) - 1, 5).astype(int)
    names = [str(t + 1) for t in ticks]
    ax.set_xticks(ticks, names), ax.set_yticks(ticks, names)
    ax.grid(False)
    ax.set(xlabel="feature", ylabel="feature", title=title)
    return ax


def show_images(x, n: int = 16, cols: int = 8, ax=None, title: str = ""):
    """A grid of signed 28×28 images (e.g. whitened digits), each scaled to its own range.

    x: shape (N, 784). Red is positive, blue negative, white zero; each image is divided by the
    99th percentile of its |values| (the few brighter pixels are clipped).
    """
    x = _images(x, "show_images")[:n]
    scale = np.maximum(np.percentile(np.abs(x), 99, axis=1, keepdims=True), 1e-12)
    ax = _ax(ax)
    ax.imshow(_tile(x / scale, cols, fill=np.nan), cmap="RdBu_r", vmin=-1, vmax=1,
              interpolation="nearest")
    ax.set_xticks([]), ax.set_yticks([])
    ax.grid(False)
    ax.set_title(title, fontsize=10)
    return ax


def plot_loglog(x, curves: Mapping, ax=None, xlabel: str = "", ylabel: str = "",
                title: str = "", fit_from: float | None = None, styles: Mapping | None = None):
    """Curves on log-log axes; with ``fit_from`` each legend entry gives its fitted slope.

    x: shape (K,), positive.  curves: label -> y of shape (K,), positive.
    fit_from: fit log y = a + slope · log x over the points with x ≥ fit_from.
    styles: optional label -> matplotlib format string (e.g. "--").
    """
    x = np.asarray(x, dtype=float)
    ax = _ax(ax)
    for label, y in curves.items():
        y = np.asarray(y, dtype=float)
        if y.shape != x.shape:
            raise ValueError(f"plot_loglog: curve {label!r} has shape {y.shape}, x has {x.shape}")
        name = label
        if fit_from is not None:
            sel = x >= fit_from
            name = f"{label} (slope {np.polyfit(np.log(x[sel]), np.log(y[sel]), 1)[0]:.2f})"
        ax.plot(x, y, (styles or {}).get(label, "o-"), label=name)
    ax.set_xscale("log"), ax.set_yscale("log")
    ax.set(xlabel=xlabel, ylabel=ylabel, title=title)
    ax.legend(fontsize="small")
    return ax


def plot_decision_regions(model, x, y, ax=None, title: str = "", lim: float = 3.0):
    """P(class 1) of a 2-D classifier on a grid (evaluation mode), with the labelled points.

    model: torch module mapping (N, 2) -> (N, 2) logits.  x: shape (N, 2).  y: 0/1, shape (N,).
    """
    import torch

    x, y = _points(x, "plot_decision_regions"), np.asarray(y)
    g = np.linspace(-lim, lim, 121)
    grid = np.stack(np.meshgrid(g, g), axis=-1).reshape(-1, 2)
    param = next(model.parameters())
    was_training = model.training
    model.eval()
    with torch.no_grad():
        logits = model(torch.as_tensor(grid, dtype=param.dtype, device=param.device))
        p = torch.softmax(logits, dim=1)[:, 1].cpu().numpy().reshape(len(g), len(g))
    model.train(was_training)
    ax = _ax(ax)
    ax.contourf(g, g, p, levels=np.linspace(0, 1, 11), cmap="RdBu_r", alpha=0.6)
    for k, marker in ((0, "o"), (1, "s")):
        ax.scatter(*x[y == k].T, s=5, marker=marker, c="k" if k else "w", edgecolors="k",
                   linewidths=0.3, label=f"class {k}")
    ax.set_aspect("equal")
    ax.set(xlim=(-lim, lim), ylim=(-lim, lim), xlabel="x₁", ylabel="x₂", title=title)
    ax.legend(loc="upper right", fontsize="small")
    return ax


def _points(X, fname: str) -> np.ndarray:
    return _rows(X, fname, 2, "points")


def plot_by_layer(values, ax=None, ylabel: str = "", title: str = "", log: bool = False,
                  xlabel: str = "layer (1 = bottom)"):
    """One line per run across layers 1..L of a per-layer number (a shift, a gradient norm...).

    values: dict label -> array of shape (L,), e.g. {"sigmoid": d_sig, "tanh": d_tanh};
        NaN entries are left out of the line.
    log: log-scale y axis (for numbers that span orders of magnitude).
    """
    if not isinstance(values, Mapping) or not values:
        raise ValueError("plot_by_layer: values must be a non-empty dict label -> array (L,)")
    ax = _ax(ax)
    for label, v in values.items():
        v = np.asarray(v, dtype=float)
        if v.ndim != 1:
            raise ValueError(f"plot_by_layer: values[{label!r}] must have shape (L,), "
                             f"got {v.shape}")
        ax.plot(np.arange(1, len(v) + 1), v, "o-", ms=4, label=str(label))
    if log:
        ax.set_yscale("log")
    n = max(len(np.atleast_1d(v)) for v in values.values())
    ax.set_xticks(np.arange(1, n + 1))
    ax.set(xlabel=xlabel, ylabel=ylabel, title=title)
    ax.legend(fontsize="small")
    return ax


def _vector(v, fname: str, name: str) -> np.ndarray:
    """A 1-D float array from a numpy array, a list or a torch tensor (detached, on the CPU)."""
    v = as_numpy(v, dtype=float)
    if v.ndim != 1:
        raise ValueError(f"{fname}: {name} must have shape (D,) or (T,), got {v.shape}")
    return v


def plot_running_estimates(curves: Mapping, target=None, ax=None, ylabel: str = "estimate",
                           title: str = "Running estimates", log: bool = False,
                           xlabel: str = "training step (batches seen)", steps=None):
    """One line per estimator against the step, with the quantity it estimates dashed.

    curves: label -> values of shape (T,), the estimate (or its error) after each of T batches.
    target: None, a number, or values of shape (T,) (a target that moves with training).
    log: log-scale y axis (for errors that span orders of magnitude).
    steps: None (1, 2, ..., T) or the T steps at which the values were measured. Notebooks 05-06.
    """
    if not isinstance(curves, Mapping) or not curves:
        raise ValueError("plot_running_estimates: curves must be a non-empty dict label -> (T,)")
    ax = _ax(ax)
    for label, values in curves.items():
        values = _vector(values, "plot_running_estimates", f"curves[{label!r}]")
        ax.plot(_steps(steps, len(values)), values, label=str(label))
    if target is not None:
        if np.ndim(target) == 0:
            ax.axhline(float(target), color="k", ls="--", lw=1.2, label="target")
        else:
            t = _vector(target, "plot_running_estimates", "target")
            ax.plot(_steps(steps, len(t)), t, "k--", lw=1.2, label="target")
    if log:
        ax.set_yscale("log")
    ax.set(xlabel=xlabel, ylabel=ylabel, title=title)
    ax.legend(fontsize="small")
    return ax


def _steps(steps, n: int) -> np.ndarray:
    """x positions for n values: 1..n, or the given steps (which must number n)."""
    if steps is None:
        return np.arange(1, n + 1)
    steps = _vector(steps, "plot_running_estimates", "steps")
    if len(steps) != n:
        raise ValueError(f"plot_running_estimates: steps has {len(steps)} values but a curve "
                         f"has {n}")
    return steps
