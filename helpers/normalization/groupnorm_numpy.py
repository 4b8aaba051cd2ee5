"""Group and instance normalization in numpy: statistics per example, never across the batch.

Group normalization (Wu & He 2018) splits the C channels of each example into G groups of C/G
channels and standardizes each group with its own mean and variance, taken over the group's
channels and every position (H, W or L); then it scales and shifts each channel with γ and β:

    mu, var = mean and biased variance of x[n, group g] over its M = (C/G)·H·W values
    x_hat = (x - mu) / √(var + eps),   out = gamma·x_hat + beta     (gamma, beta: (C,))

Two special cases: G = 1 is layer normalization (``layernorm_numpy``) and G = C is instance
normalization (Ulyanov, Vedaldi & Lempitsky 2016), both here. No running statistics: training
and evaluation compute the same thing, and an example's output never depends on its batch-mates.
The contract is batch norm's (``batchnorm_numpy``): ``*_forward(...) -> (out, cache)``,
``*_backward(dout, cache) -> (dx, dgamma, dbeta)``. Taught in notebook 12.
Shapes: N = batch, C = channels (D = features for 2-D input), G = groups, L = length,
M = values per example and group.
"""

from __future__ import annotations

import numbers
from typing import NamedTuple

import numpy as np

from ._checks import _shape, check_dout, check_eps, check_vectors
from .layout import per_feature, reduce_axes


class GroupNormCache(NamedTuple):
    """What the forward pass keeps for the backward (layer, group and instance norm share it).

    x_hat: the normalized input, shaped like x; inv_std: (N, G), 1/√(var + eps) of each
    example's groups; gamma: (C,); num_groups: G.
    """

    x_hat: np.ndarray
    inv_std: np.ndarray
    gamma: np.ndarray
    num_groups: int


def groupnorm_forward(x, gamma, beta, num_groups, eps=1e-5):
    """Group normalization forward pass in numpy: standardize each example's groups of channels.

    For every example n and group g of C/G consecutive channels, over its M = (C/G)·H·W values:
        mu = mean(x[n, g]),  var = mean((x[n, g] - mu)²)  (biased),
        x_hat = (x - mu) / √(var + eps),   out = gamma·x_hat + beta   (per channel)

    Inputs (the argument order of ``torch.nn.functional.group_norm`` is x, G, γ, β, eps):
    - x: (N, C), (N, C, L) or (N, C, H, W)
    - gamma, beta: (C,), the per-channel scale γ (= weight) and shift β (= bias)
    - num_groups: G, a positive integer that divides C, with more than one value per group
    - eps: float > 0
    Returns (out, cache): out has x's shape; cache is a ``GroupNormCache``.
    >>> out, cache = groupnorm_forward(np.random.randn(2, 8, 5, 5), np.ones(8), np.zeros(8), 4)
    Taught in notebook 12.
    """
    x, gamma, beta = np.asarray(x), np.asarray(gamma), np.asarray(beta)
    check_group_arguments("groupnorm_forward", x, gamma, beta, num_groups, eps)
    return _groupnorm(x, gamma, beta, num_groups, eps)


def _groupnorm(x, gamma, beta, num_groups, eps):
    """The mathematics of ``groupnorm_forward``, without the argument checks."""
    xg = x.reshape(x.shape[0], num_groups, -1)  # (N, G, M)
    mu = xg.mean(axis=2, keepdims=True)  # (N, G, 1)
    var = xg.var(axis=2, keepdims=True)  # (N, G, 1), biased
    inv_std = 1 / np.sqrt(var + eps)
    x_hat = ((xg - mu) * inv_std).reshape(x.shape)
    out = per_feature(gamma, x) * x_hat + per_feature(beta, x)
    return out, GroupNormCache(x_hat, inv_std[:, :, 0], gamma, num_groups)


def groupnorm_backward(dout, cache):
    """Group normalization backward pass in numpy (also layer and instance norm's).

    dbeta = Σ dout,  dgamma = Σ dout·x_hat  (sums over the batch and the positions, per channel)
    With dx_hat = gamma·dout and the sums over the M values of each example's group:
        dx = inv_std / M · (M·dx_hat - Σ dx_hat - x_hat·Σ dx_hat·x_hat)
    (batch norm's formula, with the sums taken over a group of one example, not over the batch).

    Inputs: dout shaped like the forward's input and output; cache, a ``GroupNormCache``.
    Returns (dx, dgamma, dbeta): dx shaped like x, dgamma and dbeta (C,).
    Taught in notebook 12.
    """
    dout = check_dout("groupnorm_backward", dout, cache.x_hat.shape)
    return _groupnorm_backward(dout, cache)


def _groupnorm_backward(dout, cache):
    """The mathematics of ``groupnorm_backward``, without the argument checks."""
    axes, n = reduce_axes(dout), dout.shape[0]
    dbeta = dout.sum(axis=axes)
    dgamma = (dout * cache.x_hat).sum(axis=axes)
    dx_hat = (dout * per_feature(cache.gamma, dout)).reshape(n, cache.num_groups, -1)  # (N, G, M)
    x_hat = cache.x_hat.reshape(n, cache.num_groups, -1)
    m = x_hat.shape[2]
    dx = cache.inv_std[:, :, None] / m * (m * dx_hat - dx_hat.sum(axis=2, keepdims=True)
                                          - x_hat * (dx_hat * x_hat).sum(axis=2, keepdims=True))
    return dx.reshape(dout.shape), dgamma, dbeta


def instancenorm_forward(x, gamma, beta, eps=1e-5):
    """Instance normalization forward pass in numpy: group norm with one channel per group.

    For every example n and channel c, over its M = H·W (or L) positions:
        x_hat = (x - mean(x[n, c])) / √(var(x[n, c]) + eps),   out = gamma·x_hat + beta

    Inputs: x (N, C, L) or (N, C, H, W) (a 2-D (N, C) input has one value per example and
    channel); gamma, beta (C,); eps > 0. Returns (out, cache) as ``groupnorm_forward``.
    Like ``torch.nn.functional.instance_norm`` with use_input_stats=True and no running stats.
    Taught in notebook 12.
    """
    x, gamma, beta = np.asarray(x), np.asarray(gamma), np.asarray(beta)
    if x.ndim not in (3, 4):
        raise ValueError(
            f"instancenorm_forward expects a 3-D input (N, C, L) or a 4-D input (N, C, H, W), "
            f"got a {x.ndim}-D input of shape {_shape(x)}: instance norm standardizes each "
            "channel over its positions, and a 2-D input has a single position"
        )
    check_group_arguments("instancenorm_forward", x, gamma, beta, x.shape[1], eps)
    return _groupnorm(x, gamma, beta, x.shape[1], eps)


def instancenorm_backward(dout, cache):
    """Instance normalization backward pass: ``groupnorm_backward`` with G = C (same formula).

    Inputs: dout shaped like x; cache from ``instancenorm_forward``.
    Returns (dx, dgamma, dbeta): dx shaped like x, dgamma and dbeta (C,). Notebook 12.
    """
    dout = check_dout("instancenorm_backward", dout, cache.x_hat.shape)
    return _groupnorm_backward(dout, cache)


# --------------------------------------------------------------------------------------------
# argument checks: errors a learner can act on
# --------------------------------------------------------------------------------------------


def check_group_arguments(where, x, gamma, beta, num_groups, eps) -> None:
    """x (N, C[, L[, W]]); G a positive divisor of C with M > 1; gamma, beta (C,); eps > 0."""
    if x.ndim not in (2, 3, 4):
        raise ValueError(
            f"{where} expects a 2-D input (N, C), a 3-D input (N, C, L) or a 4-D input "
            f"(N, C, H, W), got a {x.ndim}-D input of shape {_shape(x)}"
        )
    channels = int(x.shape[1])
    if (isinstance(num_groups, bool) or not isinstance(num_groups, numbers.Integral)
            or num_groups < 1 or channels % num_groups):
        raise ValueError(
            f"{where}: num_groups must be a positive integer that divides the {channels} "
            f"channels of x (shape {_shape(x)}), so that each group holds whole channels; "
            f"got {num_groups!r}"
        )
    if x.size // max(int(x.shape[0]), 1) // num_groups <= 1:
        raise ValueError(
            f"{where}: each group of an example holds a single value (x of shape {_shape(x)}, "
            f"{num_groups} groups), so its variance is 0 and every output would be β: "
            "use fewer groups, or an input with more positions"
        )
    check_vectors(where, x, gamma=gamma, beta=beta)
    check_eps(where, eps, training=True)
