"""Layer normalization in numpy: standardize each example over all of its features.

Layer normalization (Ba, Kiros & Hinton 2016) takes the statistics of one example at a time,
over all its features (over C, H, W for an image), instead of one feature over the batch:

    mu = mean(x[n]),  var = mean((x[n] - mu)²),  x_hat = (x - mu) / √(var + eps),
    out = gamma·x_hat + beta

γ and β are per feature for (N, D) input (as ``torch.nn.LayerNorm(D)``) and per channel for
(N, C, L) and (N, C, H, W) input (as ``torch.nn.GroupNorm(1, C)``; ``torch.nn.LayerNorm((C, H,
W))`` would learn one γ per value instead). It is group normalization with a single group
(Wu & He 2018, §3.1), so it shares group norm's cache and backward (``groupnorm_numpy``).
Taught in notebook 12. Shapes: N = batch, D = features, C = channels, L = length.
"""

from __future__ import annotations

import numpy as np

from ._checks import check_dout
from .groupnorm_numpy import _groupnorm, _groupnorm_backward, check_group_arguments


def layernorm_forward(x, gamma, beta, eps=1e-5):
    """Layer normalization forward pass in numpy: each example standardized over its features.

    For every example n, over its M = D (or C·L, or C·H·W) values:
        mu = mean(x[n]),  var = mean((x[n] - mu)²)  (biased),
        x_hat = (x - mu) / √(var + eps),   out = gamma·x_hat + beta   (per feature or channel)

    Inputs:
    - x: (N, D), (N, C, L) or (N, C, H, W), with more than one value per example
    - gamma, beta: (D,) or (C,), the scale γ (= weight) and shift β (= bias)
    - eps: float > 0
    Returns (out, cache): out has x's shape; cache is a ``GroupNormCache`` with one group.
    >>> out, cache = layernorm_forward(np.random.randn(4, 10), np.ones(10), np.zeros(10))
    Taught in notebook 12.
    """
    x, gamma, beta = np.asarray(x), np.asarray(gamma), np.asarray(beta)
    check_group_arguments("layernorm_forward", x, gamma, beta, 1, eps)
    return _groupnorm(x, gamma, beta, 1, eps)


def layernorm_backward(dout, cache):
    """Layer normalization backward pass in numpy.

    dbeta = Σ dout,  dgamma = Σ dout·x_hat  (per feature or channel, summed over the batch and
    the positions); with dx_hat = gamma·dout and the sums over the M values of one example:
        dx = inv_std / M · (M·dx_hat - Σ dx_hat - x_hat·Σ dx_hat·x_hat)

    Inputs: dout shaped like x; cache from ``layernorm_forward``.
    Returns (dx, dgamma, dbeta): dx shaped like x, dgamma and dbeta (D,) or (C,). Notebook 12.
    """
    dout = check_dout("layernorm_backward", dout, cache.x_hat.shape)
    return _groupnorm_backward(dout, cache)
