"""Measuring internal covariate shift: how far a layer's input distribution moves.

    from helpers.covariate_shift import layer_inputs, histogram_shift, median_drift
    z = layer_inputs(net, x)              # the input of every hidden activation, bottom to top
    histogram_shift(z[-1], z_new[-1])     # how far each unit's histogram moved, in its own σ
    median_drift(hist.unit_medians[-1])   # how far each unit's median travelled in training

Taught in notebook 01 (each function is written there first); notebooks 07-11 call these.
"""

from __future__ import annotations

import numpy as np
import torch
from torch import nn

from helpers.models import ACTIVATIONS


def layer_inputs(net: nn.Sequential, x: torch.Tensor) -> list[torch.Tensor]:
    """The input of every hidden activation (its pre-activation z), bottom to top.

    net: an nn.Sequential such as make_mlp's (Linear -> [norm] -> activation -> [dropout] ...).
    x: input batch of shape (N, D_in).
    Returns a list of L tensors of shape (N, D_l), one per hidden activation. Runs ``net`` in
    whatever mode it is in (a BatchNorm1d in train mode uses the batch's statistics and updates
    its running buffers); wrap the call in ``torch.no_grad()`` when no gradient is needed.
    """
    if not isinstance(net, nn.Sequential):
        raise ValueError(f"layer_inputs: net must be an nn.Sequential (as make_mlp builds), "
                         f"got {type(net).__name__}")
    kinds = tuple(ACTIVATIONS.values())
    inputs = []
    for module in net:
        if isinstance(module, kinds):
            inputs.append(x)
        x = module(x)
    return inputs


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
