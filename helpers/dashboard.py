"""A network's health in one call: the numbers a practitioner looks at first, per layer.

    from helpers.dashboard import dashboard
    health, fig = dashboard(net, x_batch, y_batch, lr=0.1)        # measure one step, and draw
    health, fig = dashboard(hist, lr=0.1, model=net)               # or from a recorded History
    health, fig = dashboard({"bug": h1, "fixed": h2})              # compare Healths side by side

Per hidden layer (the input z of each activation, as ``helpers.measurements.layer_inputs``
captures it): its distribution (15/50/85th percentiles and a sample of values), the saturated
fraction (``saturated_fraction``: sigmoid/tanh; NaN for ReLU) and, for ReLU, the fraction of
inputs at or below 0 (units that pass no gradient for that example). Per Linear layer: the
error reaching it, ‖∂ℓ/∂z‖ per example (``layer_errors``: how much gradient reaches the layer;
the weight gradient ‖∇W‖ is that error times the layer's input, so it is not), and the
update-to-weight ratio ‖lr·∇W‖/‖W‖ (plain SGD's update; around 1e-3 is the usual rule of
thumb for a healthy rate). Per batch-norm layer: how far the running
statistics (eval mode) are from the batch's statistics (training mode) on the same input,
mean |running_mean − mu_B|/sigma_B and median running_var/sigma²_B: 0 and 1 when the two modes
agree. The measurements never change the model: its buffers, gradients and mode are restored.
Built on helpers.measurements and helpers.history (a History's records). Taught in notebook 13.
Shapes: L = hidden layers, L + 1 = weight matrices, B = batch-norm layers.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field

import matplotlib.pyplot as plt
import numpy as np
import torch
from torch import nn

from helpers.environment import seeded
from helpers.history import PERCENTILES, History
from helpers.inference import bn_layers
from helpers.measurements import layer_errors, layer_inputs, saturated_fraction, weight_norms
from helpers.models import activation_name, hidden_activations, linear_layers
from helpers.normalization.layout import reduce_axes

HEALTHY_UPDATE_RATIO = 1e-3  # ‖lr·∇W‖/‖W‖: the rule of thumb for plain SGD
SAMPLE = 2000  # values of each layer's input kept for the histogram


@dataclass
class Health:
    """What ``measure_health`` (or ``health_from_history``) found. NaN where not measured."""

    layer_names: list[str] = field(default_factory=list)  # (L,) e.g. "act1"
    activations: list[str] = field(default_factory=list)  # (L,) "relu", "sigmoid", "tanh"
    percentiles: np.ndarray = field(default_factory=lambda: np.zeros((0, 3)))  # (L, 3)
    samples: list[np.ndarray] = field(default_factory=list)  # L arrays, ≤ SAMPLE values each
    saturated: np.ndarray = field(default_factory=lambda: np.zeros(0))  # (L,); NaN: ReLU
    zero_side: np.ndarray = field(default_factory=lambda: np.zeros(0))  # (L,); NaN: not ReLU
    error_norm: np.ndarray = field(default_factory=lambda: np.zeros(0))  # (L + 1,) ‖∂ℓ/∂z‖
    grad_norm: np.ndarray = field(default_factory=lambda: np.zeros(0))  # (L + 1,) ‖∇W‖
    update_ratio: np.ndarray = field(default_factory=lambda: np.zeros(0))  # (L + 1,)
    bn_mean_gap: np.ndarray = field(default_factory=lambda: np.zeros(0))  # (B,)
    bn_var_ratio: np.ndarray = field(default_factory=lambda: np.zeros(0))  # (B,)


def measure_health(model: nn.Module, x: torch.Tensor, y: torch.Tensor, lr: float | None = None,
                   loss_fn=nn.functional.cross_entropy, seed: int = 0) -> Health:
    """Measure one training step's health on the batch (x, y), without taking the step.

    model: e.g. a make_mlp network; x (N, D_in), y (N,) on the model's device. The forward
    passes run in training mode (batch statistics, dropout drawn from a generator seeded with
    ``seed``), as a training step does. lr: the SGD learning rate for the update-to-weight
    ratio (None: NaN). The model's buffers, momentum settings, gradients and mode are left as
    they were. Returns a Health.
    """
    acts, bns = [m for _, m in hidden_activations(model)], bn_layers(model)
    saved, was_training = [b.detach().clone() for b in model.buffers()], model.training
    momenta = [bn.momentum for bn in bns]
    try:
        model.train()
        for bn in bns:
            bn.momentum = 0.0  # running = 1·running + 0·batch: the passes leave them alone
        with seeded(seed), torch.no_grad():
            z = layer_inputs(model, x, acts)
            gaps = [_bn_gap(bn, zb) for bn, zb in zip(bns, layer_inputs(model, x, bns))]
        weights = [layer.weight for layer in linear_layers(model)]
        with seeded(seed):
            grads = torch.autograd.grad(loss_fn(model(x), y), weights)
        with seeded(seed):  # the same dropout masks as the pass above
            errors = layer_errors(model, x, y, loss_fn)
    finally:
        with torch.no_grad():
            for b, s in zip(model.buffers(), saved):
                b.copy_(s)
        for bn, m in zip(bns, momenta):
            bn.momentum = m
        model.train(was_training)
    return _health(model, acts, z, gaps, grads, errors, lr)


def _health(model, acts, z, gaps, grads, errors, lr) -> Health:
    kinds = [activation_name(m) for m in acts]
    q = torch.tensor([p / 100 for p in PERCENTILES])
    grad_norm = np.array([float(g.norm()) for g in grads])
    return Health(
        layer_names=[name for name, _ in hidden_activations(model)], activations=kinds,
        percentiles=np.array([torch.quantile(t.float().flatten().cpu(), q).numpy()
                              for t in z]).reshape(-1, 3),
        samples=[_sample(t) for t in z],
        saturated=np.array([saturated_fraction(t, k) for t, k in zip(z, kinds)]),
        zero_side=np.array([float((t <= 0).float().mean()) if k == "relu" else math.nan
                            for t, k in zip(z, kinds)]),
        error_norm=errors, grad_norm=grad_norm,
        update_ratio=_ratio(grad_norm, weight_norms(model), lr),
        bn_mean_gap=np.array([g[0] for g in gaps]), bn_var_ratio=np.array([g[1] for g in gaps]))


def _bn_gap(bn: nn.Module, z: torch.Tensor) -> tuple[float, float]:
    """(mean |running_mean − mu_B|/sigma_B, median running_var/sigma²_B) over features."""
    if getattr(bn, "running_mean", None) is None:
        return math.nan, math.nan
    dims = reduce_axes(z)  # every axis but the features
    mu, var = z.mean(dim=dims), z.var(dim=dims)  # unbiased, as running_var stores it
    sigma = var.sqrt().clamp_min(1e-12)
    gap = ((bn.running_mean - mu).abs() / sigma).mean()
    return float(gap), float((bn.running_var / var.clamp_min(1e-24)).median())


def _sample(t: torch.Tensor) -> np.ndarray:
    flat = t.detach().float().flatten().cpu()
    step = max(1, len(flat) // SAMPLE)
    return flat[::step][:SAMPLE].numpy()


def _ratio(grad_norm, w_norm, lr) -> np.ndarray:
    if lr is None:
        return np.full(len(grad_norm), math.nan)
    return lr * np.asarray(grad_norm) / np.maximum(np.asarray(w_norm), 1e-12)


def health_from_history(hist: History, lr: float | None = None,
                        model: nn.Module | None = None, index: int = -1) -> Health:
    """The Health that a History recorded at one recorded step (default: the last).

    Percentiles, saturated fractions, errors and gradient norms come from the History. The update
    ratio needs ‖W‖, which a History does not record: given ``model`` (the trained network),
    its current weights are used, an approximation for earlier steps. The activation samples,
    the ReLU zero side and the batch-norm gaps are not recorded: they stay empty / NaN.
    """
    if not len(hist.record_steps):
        raise ValueError("health_from_history: the History recorded no steps")
    grad_norm = np.asarray(hist.grad_norm[index], dtype=float)
    errors = (np.asarray(hist.error_norm[index], dtype=float) if len(hist.error_norm)
              else np.full(len(grad_norm), math.nan))  # a History built without them
    w_norm = weight_norms(model) if model is not None else np.full(len(grad_norm), math.nan)
    n = len(hist.layer_names)
    return Health(layer_names=list(hist.layer_names), activations=list(hist.activations),
                  percentiles=np.asarray(hist.pre_percentiles[index]).reshape(n, 3),
                  samples=[], saturated=np.asarray(hist.saturated[index], dtype=float),
                  zero_side=np.full(n, math.nan), error_norm=errors, grad_norm=grad_norm,
                  update_ratio=_ratio(grad_norm, w_norm, lr),
                  bn_mean_gap=np.zeros(0), bn_var_ratio=np.zeros(0))


def plot_health(healths, axes=None):
    """Draw one Health, or several side by side ({label: Health}), as six panels.

    axes: six matplotlib axes (e.g. ``plt.subplots(2, 3)[1]``), or None for a new 2 × 3 figure.
    Returns the figure. Grey lines mark the healthy values: update ratio 1e-3, variance ratio 1.
    """
    runs = dict(healths) if isinstance(healths, Mapping) else {"": healths}
    if not runs or not all(isinstance(h, Health) for h in runs.values()):
        raise ValueError("plot_health: expected a Health or a dict label -> Health")
    if axes is None:
        fig, axes = plt.subplots(2, 3, figsize=(15, 7.5))
    axes = np.asarray(axes).ravel()
    if len(axes) != 6:
        raise ValueError(f"plot_health: needs 6 axes, got {len(axes)}")
    first = next(iter(runs.values()))
    _distributions(axes[0], runs, first.layer_names)
    _bars(axes[1], {k: np.where(np.isnan(h.saturated), h.zero_side, h.saturated)
                    for k, h in runs.items()}, first.layer_names,
          "share of inputs", "Saturated (sigmoid, tanh) or ≤ 0 (ReLU)")
    weights = [f"W{i}" for i in range(1, len(first.grad_norm) + 1)]
    _bars(axes[2], {k: h.error_norm for k, h in runs.items()},
          [f"z{i}" for i in range(1, len(first.error_norm) + 1)],
          "‖∂ℓ/∂z‖ per example, RMS (log scale)", "Error reaching each layer", log=True)
    _bars(axes[3], {k: h.update_ratio for k, h in runs.items()}, weights,
          "‖lr·∇W‖ / ‖W‖ (log scale)", "Update-to-weight ratio", log=True)
    axes[3].axhline(HEALTHY_UPDATE_RATIO, color="grey", ls=":", label="rule of thumb 1e-3")
    bns = [f"BN{i}" for i in range(1, max(len(h.bn_var_ratio) for h in runs.values()) + 1)]
    _bars(axes[4], {k: h.bn_var_ratio for k, h in runs.items()}, bns,
          "running_var / batch variance (log)", "BN: running vs batch variance", log=True)
    axes[4].axhline(1.0, color="grey", ls=":", label="modes agree (1)")
    _bars(axes[5], {k: h.bn_mean_gap for k, h in runs.items()}, bns,
          "|running_mean − batch mean| / batch σ", "BN: running vs batch mean")
    for ax in axes:
        if ax.get_legend_handles_labels()[0]:
            ax.legend(fontsize=8)
    fig = axes[0].figure
    fig.tight_layout()
    return fig


def _distributions(ax, runs: dict, names: list[str]):
    """Each layer's input: a violin of the sampled values, or the 15-85th percentile bar."""
    width = 0.8 / len(runs)
    for i, (label, h) in enumerate(runs.items()):
        pos = np.arange(len(h.layer_names)) + (i - (len(runs) - 1) / 2) * width
        color = f"C{i}"
        if h.samples:
            parts = ax.violinplot(h.samples, positions=pos, widths=width * 0.9,
                                  showmedians=True)
            for body in parts["bodies"]:
                body.set_facecolor(color)
        lo, mid, hi = np.asarray(h.percentiles).T
        ax.errorbar(pos, mid, yerr=[mid - lo, hi - mid], fmt="o", color=color, capsize=3,
                    label=f"{label} median, 15–85th pct".strip())
    ax.set_xticks(range(len(names)), names)
    ax.set(xlabel="hidden layer (input of its activation)", ylabel="value of the input",
           title="Layer inputs: distribution")


def _bars(ax, values: dict, names: list[str], ylabel: str, title: str, log: bool = False):
    """Grouped bars, one group per name, one bar per run; NaN bars are left out."""
    width = 0.8 / max(1, len(values))
    for i, (label, v) in enumerate(values.items()):
        v = np.asarray(v, dtype=float)
        pos = np.arange(len(v)) + (i - (len(values) - 1) / 2) * width
        ok = np.isfinite(v) & ((v > 0) if log else True)
        ax.bar(pos[ok], v[ok], width=width, color=f"C{i}", label=label or None)
    ax.set_xticks(range(len(names)), names)
    if log:
        ax.set_yscale("log")
    ax.set(ylabel=ylabel, title=title)
    return ax


def dashboard(source, x=None, y=None, lr: float | None = None, model: nn.Module | None = None,
              axes=None):
    """Measure and draw in one call; returns (health, figure).

    source: a model (then x, y: the batch to measure on), a History (then model, if given,
    supplies ‖W‖ for the update ratio), a Health, or a dict label -> any of those three
    (models then share x, y and lr). lr: the SGD learning rate. Returns the Health (or the dict
    of them) and the figure of ``plot_health``.
    """
    if isinstance(source, Mapping):
        health = {k: _as_health(v, x, y, lr, model) for k, v in source.items()}
    else:
        health = _as_health(source, x, y, lr, model)
    return health, plot_health(health, axes)


def _as_health(source, x, y, lr, model) -> Health:
    if isinstance(source, Health):
        return source
    if isinstance(source, History):
        return health_from_history(source, lr, model)
    if isinstance(source, nn.Module):
        if x is None or y is None:
            raise ValueError("dashboard: for a model, give the batch x and labels y to measure on")
        return measure_health(source, x, y, lr)
    raise ValueError(f"dashboard: expected a model, a History or a Health, "
                     f"got {type(source).__name__}")
