"""Measurements of a network's layers: their inputs, saturation, the error back-propagated to
them, and how a distribution shifts.

    from helpers.measurements import layer_inputs, layer_errors, saturated_fraction
    z = layer_inputs(net, x)                  # every hidden activation's input, bottom to top
    layer_errors(net, x, y)                   # the error ‖∂ℓ/∂z_l‖ reaching each Linear layer
    saturated_fraction(z[0], "sigmoid")       # share of inputs in the flat part of the sigmoid
    histogram_shift(z_before, z_after)        # how far each unit's histogram moved, in its own σ
    median_drift(hist.unit_medians[-1])       # how far each unit's median travelled in training
    layer_stats(z[0], "sigmoid")              # what a History records for one layer

``layer_inputs`` is the one way the course captures a layer's input, ``layer_errors`` the one
way it measures the error reaching a layer: the trainer's recorder (helpers.training), the
dashboard and the notebooks all call them. Taught in notebooks 01 and 02 (each function is
written there first); later notebooks call these.
Shapes: N = examples, D = units of a layer, L + 1 = Linear layers, T = recorded steps.
"""

from __future__ import annotations

import numpy as np
import torch
from torch import nn

from helpers.history import PERCENTILES
from helpers.models import ACTIVATIONS, linear_layers

SATURATION_FRACTION = 0.1  # saturated: local gradient below 10 % of the activation's maximum


def layer_inputs(net: nn.Module, x: torch.Tensor, modules=None) -> list[torch.Tensor]:
    """The input of every hidden activation (its pre-activation z), bottom to top.

    net: any nn.Module, e.g. make_mlp's Sequential (Linear -> [norm] -> activation -> ...).
    x: the input batch, e.g. (N, D_in).
    modules: the modules whose inputs to capture, bottom to top; None: every sigmoid, tanh and
        ReLU in ``net`` (make_mlp's hidden activations).
    Returns a list with one tensor per module, each the (N, D_l) batch that entered it. Runs
    ``net`` in whatever mode it is in (a BatchNorm1d in train mode uses the batch's statistics
    and updates its running buffers); wrap the call in ``torch.no_grad()`` when no gradient is
    needed.
    """
    if not isinstance(net, nn.Module):
        raise ValueError(f"layer_inputs: net must be a torch nn.Module, got {type(net).__name__}")
    if modules is None:
        modules = [m for m in net.modules() if isinstance(m, tuple(ACTIVATIONS.values()))]
    captured: list[torch.Tensor] = []
    hooks = [m.register_forward_hook(lambda _m, inputs, _out: captured.append(inputs[0]))
             for m in modules]
    try:
        net(x)
    finally:
        for h in hooks:
            h.remove()
    return captured


def layer_errors(net: nn.Module, x: torch.Tensor, y: torch.Tensor,
                 loss_fn=nn.functional.cross_entropy, modules=None,
                 per_example: bool = False) -> np.ndarray:
    """The back-propagated error reaching each layer: √N‖∂L/∂z_l‖ (the RMS over the batch of each
    example's own error when examples do not interact).

    z_l is the output of the l-th Linear layer (its pre-activation, before any normalization).
    With L = loss_fn(net(x), y), the batch's mean loss, e_l = N · ∂L/∂z_l: row i is the error
    that example i's own loss ℓ_i sends to z_l (exactly ∂ℓ_i/∂z_(l,i) when the examples do not
    interact, i.e. without batch norm in training mode). The norm, used everywhere in the course:

        error_l = sqrt((1/N) Σ_i ‖e_(l,i)‖²) = √N · ‖∂L/∂z_l‖   (per example, RMS over the batch)

    Why not the weight gradient: ∂L/∂W_l = (1/N) Σ_i e_(l,i) u_(l,i)ᵀ, with u_l the layer's
    input, is the error times the input, so its norm also carries the input's size and how much
    the examples' contributions cancel: it is not "how much gradient reaches the layer".

    net: e.g. a make_mlp network; x (N, D_in), y the targets loss_fn expects. Runs ``net`` in
        whatever mode it is in (a BatchNorm1d in train mode updates its running buffers).
    modules: the layers whose outputs z_l are measured, bottom to top; None: every nn.Linear.
    Returns (L + 1,) the RMS error per layer, or with per_example=True (N, L + 1) every
    example's ‖e_(l,i)‖. No parameter's .grad is written; NaN for a layer the loss does not use.
    """
    if not isinstance(net, nn.Module):
        raise ValueError(f"layer_errors: net must be a torch nn.Module, got {type(net).__name__}")
    modules = linear_layers(net) if modules is None else list(modules)
    z: dict[int, torch.Tensor] = {}
    hooks = [m.register_forward_hook(lambda _m, _in, out, i=i: z.__setitem__(i, out))
             for i, m in enumerate(modules)]
    try:
        x = x.detach().requires_grad_() if x.is_floating_point() else x  # frozen layers too
        loss = loss_fn(net(x), y)
    finally:
        for h in hooks:
            h.remove()
    used = [i for i in range(len(modules)) if i in z and z[i].requires_grad]
    grads = torch.autograd.grad(loss, [z[i] for i in used], allow_unused=True) if used else []
    errors = torch.full((len(x), len(modules)), float("nan"))  # (N, L + 1)
    for i, g in zip(used, grads):
        if g is not None:
            errors[:, i] = len(g) * g.detach().flatten(1).norm(dim=1).cpu()
    return errors.numpy() if per_example else np.sqrt((errors.numpy() ** 2).mean(axis=0))


def weight_norms(model: nn.Module) -> np.ndarray:
    """‖W‖ (Frobenius) of every Linear layer's weight, bottom to top: (L + 1,)."""
    return np.array([float(layer.weight.detach().norm()) for layer in linear_layers(model)])


def saturated_fraction(pre_activation: torch.Tensor, activation: str) -> float:
    """Fraction of entries whose local gradient is below 10 % of the activation's maximum.

    sigmoid: σ'(x) = σ(x)(1 − σ(x)) < 0.1 · 1/4   (|x| > 3.6)
    tanh:    1 − tanh²(x)          < 0.1 · 1      (|x| > 1.8)
    relu: NaN (ReLU does not saturate for positive inputs; its zero side is "dead", not saturated).
    """
    x = torch.as_tensor(pre_activation)
    if activation == "sigmoid":
        s = torch.sigmoid(x)
        return float((s * (1 - s) < SATURATION_FRACTION * 0.25).float().mean())
    if activation == "tanh":
        return float((1 - torch.tanh(x) ** 2 < SATURATION_FRACTION).float().mean())
    if activation == "relu":
        return float("nan")
    raise ValueError(f"saturated_fraction: activation must be 'sigmoid', 'tanh' or 'relu', "
                     f"got {activation!r}")


def layer_stats(z: torch.Tensor, activation: str, unit: int = 0) -> dict:
    """What a History records about one layer's input z of shape (N, D).

    Returns a dict: "mean" and "std" over all entries; "pct", the PERCENTILES (15/50/85) of all
    entries pooled; "unit_pct", those of unit ``unit``; "medians", every unit's median (D,);
    "sat", the saturated fraction for this activation.
    """
    z = torch.as_tensor(z).detach().float().flatten(1)
    q = torch.tensor([p / 100 for p in PERCENTILES], device=z.device)
    return {"mean": float(z.mean()), "std": float(z.std()),
            "pct": quantiles(z.flatten(), q).tolist(),
            "unit_pct": quantiles(z[:, min(unit, z.shape[1] - 1)], q).tolist(),
            "medians": z.median(dim=0).values.cpu().numpy(),
            "sat": saturated_fraction(z, activation)}


def quantiles(x: torch.Tensor, q: torch.Tensor) -> torch.Tensor:
    """torch.quantile(x, q) of a 1-D float tensor, the same values, without sorting all of x.

    Linear interpolation between the order statistics at ranks q · (n − 1), as torch.quantile
    does; numpy's partition finds those few order statistics in one pass, on the CPU several
    times faster than the full sort torch.quantile makes (which was a seventh of a recorded
    run's time). Where +0 and −0 tie, a zero's sign may differ. Falls back to torch.quantile
    (and its errors) for anything but finite float32/float64 values and q in [0, 1].
    """
    if (x.ndim != 1 or x.numel() == 0 or x.dtype not in (torch.float32, torch.float64)
            or not bool(((q >= 0) & (q <= 1)).all()) or not bool(torch.isfinite(x).all())):
        return torch.quantile(x, q)
    rank = q.to(x.dtype) * (x.numel() - 1)
    below, above = rank.long(), rank.ceil().long()  # rank >= 0: long() rounds down
    values = np.partition(x.cpu().numpy(), np.union1d(below.cpu(), above.cpu()))
    at = torch.from_numpy(values).to(x.device)
    return torch.lerp(at[below], at[above], rank - below)


def histogram_shift(z: torch.Tensor, z_new: torch.Tensor) -> float:
    """How far each unit's histogram moved, in units of its spread, averaged over the D units.

    d = (1/D) Σ_j (1/σ_j) (1/N) Σ_i |z_(i)j − z'_(i)j|,  z_(i)j: the i-th smallest value of unit j

    (the 1-D Wasserstein, or earth mover's, distance between the two samples of each unit,
    divided by the unit's standard deviation σ_j before the change).
    z, z_new: the same N inputs forwarded before and after a change, both of shape (N, D).
    Returns d as a float (0 when nothing moved).
    """
    z, z_new = torch.as_tensor(z), torch.as_tensor(z_new)
    if z.ndim != 2 or z.shape != z_new.shape:
        raise ValueError(f"histogram_shift: z and z_new must both have shape (N, D), "
                         f"got {tuple(z.shape)} and {tuple(z_new.shape)}")
    sigma = z.std(dim=0).clamp_min(1e-12)
    moved = (z.sort(dim=0).values - z_new.sort(dim=0).values).abs().mean(dim=0)
    return float((moved / sigma).mean())


def median_drift(medians) -> float:
    """How far each unit's median travelled from its starting value, averaged over units.

    drift = (1/D) Σ_j max_t |m_j(t) − m_j(0)|

    medians: array (T, D), every unit's median at T recorded steps (History.unit_medians[l]).
    Returns the drift as a float, in the units of the layer's input.
    """
    m = np.asarray(medians, dtype=float)
    if m.ndim != 2 or len(m) == 0:
        raise ValueError(f"median_drift: medians must have shape (T, D) with T ≥ 1, "
                         f"got {m.shape}")
    return float(np.abs(m - m[0]).max(axis=0).mean())
