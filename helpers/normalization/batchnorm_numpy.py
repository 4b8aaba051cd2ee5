"""Batch normalization in numpy: the see-through reference, with explicit backward passes.

CS231n's contract: ``batchnorm_forward(...) -> (out, cache)`` and
``*_backward(dout, cache) -> (dx, dgamma, dbeta)``; the simplified and the step-by-step backward
share one cache, a ``BatchNormCache``. Notebook 05 writes all three under these names, with these
arguments and this cache, for (N, D) inputs (here for every layout, with argument checks).
Running statistics: notebook 06.
Shapes: N = batch, D = features, C = channels, L = length; M = values per feature (N, N·L or
N·H·W); statistics are per feature (axis 1), over all other axes.
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np

from ._checks import check_arguments, check_dout, check_numpy_running
from .layout import per_feature, reduce_axes, values_per_feature
from .running_stats import update_running_stats_


class BatchNormCache(NamedTuple):
    """What the forward pass keeps for the backward (notebook 05 builds the same tuple).

    x, x_hat: the input and the normalized input, shaped like x; mu, var, gamma: (D,) or (C,);
    training: False when mu and var were the running statistics, constants (eval mode).
    """

    x: np.ndarray
    x_hat: np.ndarray
    mu: np.ndarray  # the batch mean (training) or running_mean (eval)
    var: np.ndarray  # the biased batch variance (training) or running_var (eval)
    gamma: np.ndarray
    eps: float
    training: bool = True


def batchnorm_forward(x, running_mean, running_var, gamma, beta, training=False, momentum=0.1,
                      eps=1e-5):
    """Batch normalization forward pass in numpy: standardize each feature, then scale and shift.

    training:  mu = mean(x), var = mean((x - mu)²) over the M values of each feature (biased);
               given running_mean/running_var, they are updated in place by
               ``update_running_stats_`` (momentum; unbiased var·M/(M - 1) for running_var).
    eval:      mu, var = running_mean, running_var (constants).
    both:      x_hat = (x - mu) / √(var + eps),   out = gamma·x_hat + beta

    Inputs (the argument order of ``torch.nn.functional.batch_norm``):
    - x: (N, D), (N, C, L) or (N, C, H, W); statistics per feature/channel (axis 1)
    - running_mean, running_var: float arrays (D,) or (C,), or None (only when training=True)
    - gamma, beta: (D,) or (C,), the scale γ and shift β
    - training: True normalizes with the batch statistics, False (default) with the running ones
    - momentum: float in [0, 1], the weight of the new batch; eps: float > 0 (≥ 0 in eval)
    Returns (out, cache): out has x's shape; cache is a ``BatchNormCache`` for both backwards.
    Taught in notebook 05 (forward, backward) and notebook 06 (running statistics).
    """
    x, gamma, beta = np.asarray(x), np.asarray(gamma), np.asarray(beta)
    check_numpy_running("batchnorm_forward", running_mean, running_var)
    check_arguments("batchnorm_forward", x, running_mean, running_var, training, momentum, eps,
                    gamma=gamma, beta=beta)
    if training:  # Algorithm 1: the batch's own statistics
        mu = x.mean(axis=reduce_axes(x))  # line 1, (C,)
        var = x.var(axis=reduce_axes(x))  # line 2, biased (divide by M)
        if running_mean is not None:  # notebook 06: the caller's arrays change in place
            update_running_stats_(running_mean, running_var, mu, var, values_per_feature(x),
                                  momentum)
    else:  # eval mode: the running statistics, copied so that the cache keeps them constant
        mu, var = np.array(running_mean), np.array(running_var)
    x_hat = (x - per_feature(mu, x)) / np.sqrt(per_feature(var, x) + eps)  # line 3
    out = per_feature(gamma, x) * x_hat + per_feature(beta, x)  # line 4
    return out, BatchNormCache(x, x_hat, mu, var, gamma, eps, training)


def batchnorm_backward(dout, cache):
    """Batch normalization backward pass in numpy, the simplified closed form.

    With the sums over the M values of each feature:
        dbeta = Σ dout,   dgamma = Σ dout·x_hat
        training:  dx = gamma / (M·√(var + eps)) · (M·dout - dbeta - x_hat·dgamma)
        eval:      dx = gamma / √(var + eps) · dout   (mu and var are constants)

    Inputs:
    - dout: upstream gradient, shaped like the forward's input and output
    - cache: the ``BatchNormCache`` from ``batchnorm_forward`` (the package's or notebook 05's)
    Returns (dx, dgamma, dbeta): dx shaped like x, dgamma and dbeta (D,) or (C,).
    Taught in notebook 05.
    """
    dout = check_dout("batchnorm_backward", dout, cache.x.shape)
    axes, m, x_hat = reduce_axes(dout), values_per_feature(dout), cache.x_hat
    dbeta = dout.sum(axis=axes)
    dgamma = (dout * x_hat).sum(axis=axes)
    gamma_inv_std = per_feature(cache.gamma / np.sqrt(cache.var + cache.eps), dout)
    if cache.training:
        dx = gamma_inv_std / m * (m * dout - per_feature(dbeta, dout)
                                  - x_hat * per_feature(dgamma, dout))
    else:  # eval mode: mu and var are constants, so x reaches the loss through x_hat only
        dx = gamma_inv_std * dout
    return dx, dgamma, dbeta


def batchnorm_backward_steps(dout, cache):
    """Batch normalization backward pass in numpy: the paper's chain rule, one node at a time.

    Ioffe & Szegedy's (2015, section 3) equations, with sums over the M values of each feature:
        dbeta = Σ dout,  dgamma = Σ dout·x_hat,  dx_hat = dout·gamma
        dvar  = Σ dx_hat·(x - mu) · (-1/2)(var + eps)^(-3/2)
        dmu   = -Σ dx_hat / √(var + eps) + dvar · Σ -2(x - mu) / M
        dx    = dx_hat / √(var + eps) + dvar · 2(x - mu)/M + dmu / M
    In eval mode mu and var are constants, so only the first term of dx remains. Same cache,
    same results as ``batchnorm_backward``; notebook 05 writes it for (N, D) in training mode.

    Inputs: dout shaped like the forward's output; cache, a ``BatchNormCache``.
    Returns (dx, dgamma, dbeta): dx shaped like x, dgamma and dbeta (D,) or (C,).
    Taught in notebook 05.
    """
    dout = check_dout("batchnorm_backward_steps", dout, cache.x.shape)
    axes, m, x, x_hat = reduce_axes(dout), values_per_feature(dout), cache.x, cache.x_hat
    eps = cache.eps
    mu, var, gamma = (per_feature(v, dout) for v in (cache.mu, cache.var, cache.gamma))
    dbeta = dout.sum(axis=axes)
    dgamma = (dout * x_hat).sum(axis=axes)
    dx_hat = dout * gamma
    if cache.training:
        dvar = (dx_hat * (x - mu)).sum(axis=axes, keepdims=True) * -0.5 * (var + eps) ** -1.5
        dmu = (-(dx_hat / np.sqrt(var + eps)).sum(axis=axes, keepdims=True)
               + dvar * (-2 * (x - mu)).sum(axis=axes, keepdims=True) / m)
        dx = dx_hat / np.sqrt(var + eps) + dvar * 2 * (x - mu) / m + dmu / m
    else:  # eval mode: mu and var are constants, so x reaches the loss through x_hat only
        dx = dx_hat / np.sqrt(var + eps)
    return dx, dgamma, dbeta
