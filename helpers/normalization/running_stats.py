"""The two pieces of batch norm that the numpy version, the torch modules and batch renorm share.

- ``update_running_stats_``: the running (population) estimates, PyTorch's momentum rule
- ``scale_and_shift``: batch norm with fixed statistics is one affine map per feature

Taught in notebook 06 (running statistics, eval mode, folding); used from notebook 05 on.
"""

from __future__ import annotations

import torch


@torch.no_grad()  # bookkeeping, not part of the graph
def update_running_stats_(running_mean, running_var, mu, var, m, momentum):
    """Update the running statistics in place with one batch's statistics, as PyTorch does.

        running_mean = (1 − momentum)·running_mean + momentum·mu
        running_var  = (1 − momentum)·running_var  + momentum·var·M/(M − 1)

    The batch is normalized with its biased variance var; running_var stores the unbiased
    var·M/(M − 1). Works on numpy arrays and torch tensors alike (``*=`` and ``+=``).

    Inputs:
    - running_mean, running_var: (C,) float buffers, changed in place
    - mu, var: (C,) the batch mean and biased batch variance
    - m: M > 1, the number of values per feature (N, N·L or N·H·W)
    - momentum: float in [0, 1], the weight of the new batch (PyTorch's convention)
    Returns None. Taught in notebook 06 (introduced in notebook 05).
    """
    running_mean *= 1 - momentum
    running_mean += momentum * mu
    running_var *= 1 - momentum
    running_var += momentum * m / (m - 1) * var  # the unbiased variance


def scale_and_shift(mean, var, weight, bias, eps):
    """Batch norm with fixed statistics as one affine map per feature: BN(x) = scale·x + shift.

        scale = γ / √(var + eps),   shift = β − mean·scale     (γ = 1, β = 0 when None)

    Inputs (torch tensors): mean, var (C,) (e.g. running_mean, running_var); weight (= γ) and
    bias (= β) (C,) or None; eps a float ≥ 0. Returns (scale, shift), both (C,) tensors, in the
    graph of weight and bias (so eval mode trains γ and β). Taught in notebook 06.
    """
    scale = torch.rsqrt(var + eps)
    if weight is not None:
        scale = scale * weight
    shift = -mean * scale
    if bias is not None:
        shift = shift + bias
    return scale, shift
