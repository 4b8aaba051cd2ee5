"""Batch normalization in numpy (see-through, explicit backward) and in torch (the one that trains).

Batch normalization standardizes each feature with the statistics of the current mini-batch,
then scales and shifts it with learned parameters γ (``gamma``, = ``weight``) and β (``beta``,
= ``bias``):

    mu = mean(x),  var = mean((x - mu)²),  x_hat = (x - mu) / √(var + eps),  out = γ·x_hat + β

numpy reference (CS231n contract; forward and backward taught in notebook 05, running
statistics in notebook 06):

- ``batchnorm_forward(x, gamma, beta, running_mean=None, running_var=None, training=True,
  momentum=0.1, eps=1e-5) -> (out, cache)``
- ``batchnorm_backward(dout, cache) -> (dx, dgamma, dbeta)``: the simplified closed form
- ``batchnorm_backward_steps(dout, cache) -> (dx, dgamma, dbeta)``: node by node through the graph

torch version (same names and conventions as ``torch.nn``):

- ``BatchNormFunction``: an ``autograd.Function`` whose backward is the hand-derived formula
- ``batch_norm(x, running_mean, running_var, weight, bias, training, momentum, eps)``: like
  ``torch.nn.functional.batch_norm``
- ``BatchNorm1d``, ``BatchNorm2d``: like ``torch.nn``'s; their state dicts load into each other

Conventions, as in PyTorch: normalization uses the biased batch variance (divide by M);
``running_var`` stores the unbiased one (divide by M - 1); the running statistics are updated
as running = (1 - momentum)·running + momentum·batch.
Shapes: N = batch, D = features, C = channels, L = length; M = values per feature
(N for (N, D), N·L for (N, C, L), N·H·W for (N, C, H, W)).
"""

from __future__ import annotations

import math
import numbers

import numpy as np
import torch
from torch import nn
from torch.autograd.function import once_differentiable

__all__ = [
    "batchnorm_forward",
    "batchnorm_backward",
    "batchnorm_backward_steps",
    "BatchNormFunction",
    "batch_norm",
    "BatchNorm1d",
    "BatchNorm2d",
]


# --------------------------------------------------------------------------------------------
# Checks shared by the numpy and the torch versions: errors a learner can act on.
# --------------------------------------------------------------------------------------------


def _shape(a) -> tuple[int, ...]:
    return tuple(int(s) for s in a.shape)


def _check_input(where: str, x, training: bool, eval_hint: str) -> None:
    """x must be (N, D), (N, C, L) or (N, C, H, W), with more than one value per feature."""
    if x.ndim not in (2, 3, 4):
        raise ValueError(
            f"{where} expects a 2-D input (N, D), a 3-D input (N, C, L) or a 4-D input "
            f"(N, C, H, W), got a {x.ndim}-D input of shape {_shape(x)}"
        )
    if training and x.shape[0] * math.prod(x.shape[2:]) <= 1:
        raise ValueError(
            f"{where}: Expected more than 1 value per channel when training, got input of shape "
            f"{_shape(x)}. With a single value per feature the batch variance is 0 and every "
            f"output would be β: use a batch of at least 2 examples, or {eval_hint}"
        )


def _check_eps(where: str, eps, training: bool) -> None:
    ok = isinstance(eps, numbers.Real) and math.isfinite(eps) and eps >= 0
    if not ok or (training and eps == 0):
        sign = "positive" if training else "non-negative"
        raise ValueError(
            f"{where}: eps must be a finite {sign} number (it keeps √(var + eps) away from 0), "
            f"got {eps!r}"
        )


def _check_momentum(where: str, momentum, allow_none: bool = False) -> None:
    if momentum is None and allow_none:
        return
    if momentum is None:
        raise ValueError(
            f"{where}: momentum=None (a cumulative average) needs a count of batches, which only "
            "the BatchNorm modules keep; here pass momentum=1/k for the k-th batch"
        )
    if not isinstance(momentum, numbers.Real) or not 0 <= momentum <= 1:
        raise ValueError(
            f"{where}: momentum must be a number in [0, 1], the weight of the new batch in "
            f"running = (1 - momentum)·running + momentum·batch, got {momentum!r}"
        )


def _check_running(where: str, training: bool, running_mean, running_var) -> None:
    """Running statistics come in pairs and are required in eval mode."""
    if (running_mean is None) != (running_var is None):
        given, missing = "running_mean", "running_var"
        if running_mean is None:
            given, missing = missing, given
        raise ValueError(
            f"{where}: running_mean and running_var go together; got {given} but {missing} is None"
        )
    if not training and running_mean is None:
        raise ValueError(
            f"{where}: training=False normalizes with running_mean and running_var, so both must "
            "be given; pass training=True to normalize with the batch statistics"
        )


def _check_vectors(where: str, x, **vectors) -> None:
    """Each per-feature vector (gamma, beta, running buffers) must have shape (D,)."""
    d = int(x.shape[1])
    for name, v in vectors.items():
        if v is not None and _shape(v) != (d,):
            raise ValueError(
                f"{where}: {name} has shape {_shape(v)}, expected ({d},) to match x's feature axis"
            )


# --------------------------------------------------------------------------------------------
# Reshaping, shared by numpy arrays and torch tensors.
# --------------------------------------------------------------------------------------------


def _to_2d(x):
    """(N, D) -> itself; (N, C, L) or (N, C, H, W) -> (M, C), one row per value of each channel.

    (N, C, H, W) -> (N, C, H·W) -> (N, H·W, C) -> (N·H·W, C), and likewise with L for H·W:
    M = N·L or N·H·W. Works on numpy arrays and torch tensors alike.
    """
    if x.ndim == 2:
        return x
    n, c = x.shape[:2]
    return x.reshape(n, c, -1).swapaxes(1, 2).reshape(-1, c)


def _from_2d(y, shape):
    """Inverse of ``_to_2d``: (M, C) back to ``shape`` ((N, D), (N, C, L) or (N, C, H, W))."""
    if len(shape) == 2:
        return y
    n, c = shape[:2]
    return y.reshape(n, -1, c).swapaxes(1, 2).reshape(shape)


# --------------------------------------------------------------------------------------------
# numpy reference: forward, and the two backwards that share its cache.
# --------------------------------------------------------------------------------------------


def batchnorm_forward(x, gamma, beta, running_mean=None, running_var=None, training=True,
                      momentum=0.1, eps=1e-5):
    """Batch normalization forward pass in numpy: standardize each feature, then scale and shift.

    training:  mu = mean(x), var = mean((x - mu)²) over the M values of each feature (biased);
               given running_mean/running_var, they are updated in place as
               running = (1 - momentum)·running + momentum·batch, with var·M/(M - 1) for var.
    eval:      mu, var = running_mean, running_var (constants).
    both:      x_hat = (x - mu) / √(var + eps),   out = gamma·x_hat + beta

    Inputs:
    - x: (N, D); or (N, C, H, W) (or (N, C, L)), statistics per channel over all other axes
    - gamma, beta: (D,) or (C,), the scale γ and shift β
    - running_mean, running_var: float arrays of shape (D,) or (C,), or None
    - training: True normalizes with the batch statistics, False with the running ones
    - momentum: float in [0, 1], the weight of the new batch; eps: float > 0 (≥ 0 in eval)
    Returns (out, cache): out has x's shape; cache is what both backwards need.
    Taught in notebook 05 (forward, backward) and notebook 06 (running statistics).
    """
    x, gamma, beta = np.asarray(x), np.asarray(gamma), np.asarray(beta)
    _check_numpy_arguments(x, gamma, beta, running_mean, running_var, training, momentum, eps)
    x2 = _to_2d(x)
    m = x2.shape[0]
    mu = x2.mean(axis=0) if training else np.array(running_mean)  # copies: constants in eval
    x_mu = x2 - mu
    var = (x_mu**2).mean(axis=0) if training else np.array(running_var)
    if training and running_mean is not None:  # in place: the caller's arrays change
        running_mean *= 1 - momentum
        running_mean += momentum * mu
        running_var *= 1 - momentum
        running_var += momentum * var * m / (m - 1)  # the unbiased variance
    std = np.sqrt(var + eps)
    inv_std = 1.0 / std
    x_hat = x_mu * inv_std
    out = gamma * x_hat + beta
    cache = {"x_mu": x_mu, "mu": mu, "var": var, "std": std, "inv_std": inv_std,
             "x_hat": x_hat, "gamma": gamma, "eps": eps, "training": training, "shape": x.shape}
    return _from_2d(out, x.shape), cache


def batchnorm_backward(dout, cache):
    """Batch normalization backward pass in numpy, simplified closed form.

    With the sums over the M values of each feature:
        dbeta = Σ dout,   dgamma = Σ dout·x_hat
        training:  dx = gamma / (M·√(var + eps)) · (M·dout - dbeta - x_hat·dgamma)
        eval:      dx = gamma / √(var + eps) · dout   (mu and var are constants)

    Inputs:
    - dout: upstream gradient, shaped like the forward's output ((N, D) or (N, C, H, W))
    - cache: from ``batchnorm_forward``
    Returns (dx, dgamma, dbeta): dx shaped like x, dgamma and dbeta (D,) or (C,).
    Taught in notebook 05.
    """
    dout = _check_dout("batchnorm_backward", dout, cache)
    x_hat, gamma, inv_std = cache["x_hat"], cache["gamma"], cache["inv_std"]
    m = dout.shape[0]
    dbeta = dout.sum(axis=0)
    dgamma = (dout * x_hat).sum(axis=0)
    if cache["training"]:
        dx = (gamma * inv_std / m) * (m * dout - dbeta - x_hat * dgamma)
    else:
        dx = dout * (gamma * inv_std)
    return _from_2d(dx, cache["shape"]), dgamma, dbeta


def batchnorm_backward_steps(dout, cache):
    """Batch normalization backward pass in numpy, one node of the graph at a time.

    Walks back through  mu = mean(x), x_mu = x - mu, sq = x_mu², var = mean(sq),
    std = √(var + eps), inv_std = 1/std, x_hat = x_mu·inv_std, gamma·x_hat, + beta,
    multiplying each node's local derivative into the upstream gradient (chain rule). In eval
    mode mu and var are constants, so the walk stops at x_mu. Same cache, same results as
    ``batchnorm_backward``.

    Inputs: dout shaped like the forward's output; cache from ``batchnorm_forward``.
    Returns (dx, dgamma, dbeta): dx shaped like x, dgamma and dbeta (D,) or (C,).
    Taught in notebook 05.
    """
    dout = _check_dout("batchnorm_backward_steps", dout, cache)
    x_mu, std, inv_std = cache["x_mu"], cache["std"], cache["inv_std"]
    m = dout.shape[0]
    dbeta = dout.sum(axis=0)  # out = y + beta
    dgamma = (dout * cache["x_hat"]).sum(axis=0)  # y = gamma·x_hat
    dx_hat = dout * cache["gamma"]
    dx_mu = dx_hat * inv_std  # x_hat = x_mu·inv_std, the x_mu branch
    if cache["training"]:
        dinv_std = (dx_hat * x_mu).sum(axis=0)  # ... and the inv_std branch
        dstd = -dinv_std / std**2  # inv_std = 1/std
        dvar = dstd * 0.5 / std  # std = √(var + eps)
        dsq = np.ones_like(dout) * dvar / m  # var = mean(sq)
        dx_mu = dx_mu + 2 * x_mu * dsq  # sq = x_mu²
        dmu = -dx_mu.sum(axis=0)  # x_mu = x - mu, the mu branch
        dx = dx_mu + np.ones_like(dout) * dmu / m  # mu = mean(x), plus the direct x branch
    else:
        dx = dx_mu  # x_mu = x - mu with mu constant
    return _from_2d(dx, cache["shape"]), dgamma, dbeta


def _check_numpy_arguments(x, gamma, beta, running_mean, running_var, training, momentum, eps):
    where = "batchnorm_forward"
    _check_input(where, x, training, "training=False to normalize with the running statistics")
    _check_eps(where, eps, training)
    _check_momentum(where, momentum)
    _check_running(where, training, running_mean, running_var)
    for name, r in (("running_mean", running_mean), ("running_var", running_var)):
        if r is not None and not (isinstance(r, np.ndarray) and r.dtype.kind == "f"):
            raise ValueError(
                f"{where}: {name} must be a float numpy array (it is updated in place), "
                f"got {type(r).__name__}"
            )
    _check_vectors(where, x, gamma=gamma, beta=beta, running_mean=running_mean,
                   running_var=running_var)


def _check_dout(where: str, dout, cache) -> np.ndarray:
    """dout must have the forward output's shape; returns it as (M, D)."""
    dout = np.asarray(dout)
    if dout.shape != tuple(cache["shape"]):
        raise ValueError(
            f"{where}: dout has shape {dout.shape}, expected {tuple(cache['shape'])}, the shape "
            "of the forward's input and output"
        )
    return _to_2d(dout)


# --------------------------------------------------------------------------------------------
# torch: an autograd.Function with the hand-derived backward, a functional, and the modules.
# --------------------------------------------------------------------------------------------


class BatchNormFunction(torch.autograd.Function):
    """Batch normalization of a 2-D (M, D) input with its batch statistics; hand-written backward.

    forward:  mu = mean(x), var = mean((x - mu)²), x_hat = (x - mu)/√(var + eps),
              out = γ·x_hat + β   (γ = weight, β = bias; either may be None)
    backward: dβ = Σ dout, dγ = Σ dout·x_hat, dx = γ/(M·√(var + eps))·(M·dout - dβ - x_hat·dγ)
              (sums over the M rows): the formula derived in notebook 05, not autograd.

    Call ``BatchNormFunction.apply(x2d, weight, bias, eps)``: x2d (M, D), weight and bias (D,)
    or None, eps a float; returns out (M, D). Like torch's own kernel it can also update running
    statistics in place while it has the batch's: ``apply(x2d, weight, bias, eps, running_mean,
    running_var, momentum)`` (running_var gets the unbiased var·M/(M - 1)).
    Also like torch's kernel, it saves x, mu and inv_std = 1/√(var + eps) rather than an (M, D)
    x_hat, and regroups the formulas per feature (γ·x_hat + β = x·scale + shift): one (M, D)
    buffer and few passes over memory each way, which keeps it near the speed of torch's C++
    (tools/bench_batchnorm.py); in float32 it is at least as accurate (tests check both).
    Differentiable once (double backward raises). Taught in notebook 05.
    """

    @staticmethod
    def forward(ctx, x2d, weight, bias, eps, running_mean=None, running_var=None, momentum=0.1):
        m = x2d.shape[0]
        mu = x2d.mean(dim=0)  # (torch.var_mean over dim 0 is ~10x slower on CPU)
        scratch = x2d - mu  # the one (M, D) buffer: x - mu, then (x - mu)², then out
        var = scratch.square_().mean(dim=0)
        inv_std = torch.rsqrt(var + eps)
        if running_mean is not None:  # running = (1 - momentum)·running + momentum·batch
            running_mean.mul_(1 - momentum).add_(mu, alpha=momentum)
            running_var.mul_(1 - momentum).add_(var, alpha=momentum * m / (m - 1))  # unbiased
        scale, shift = _scale_and_shift(mu, inv_std, weight, bias)
        out = torch.addcmul(shift, x2d, scale, out=scratch)  # γ·x_hat + β = x·scale + shift
        ctx.save_for_backward(x2d, weight, mu, inv_std)
        ctx.has_bias = bias is not None
        return out

    @staticmethod
    @once_differentiable
    def backward(ctx, dout):
        x2d, weight, mu, inv_std = ctx.saved_tensors
        m = dout.shape[0]
        dbeta = dout.sum(dim=0)
        scratch = dout * x2d  # the one (M, D) buffer: dout·x, then dx
        # dγ = Σ dout·x_hat = inv_std·(Σ dout·x - mu·Σ dout)
        dgamma = torch.addcmul(scratch.sum(dim=0), mu, dbeta, value=-1).mul_(inv_std)
        dx = None
        if ctx.needs_input_grad[0]:
            # dx = k·dout - (k/M)·(dβ + x_hat·dγ) with k = γ/√(var + eps), x_hat = (x - mu)·inv_std,
            # regrouped per feature as dx = k·dout + c1·x + c0 (two fused passes)
            k = inv_std if weight is None else weight * inv_std
            minus_k_over_m = k * (-1.0 / m)
            c1 = minus_k_over_m * dgamma * inv_std
            c0 = torch.addcmul(minus_k_over_m * dbeta, mu, c1, value=-1)  # -(k/M)·dβ - c1·mu
            dx = torch.addcmul(c0, x2d, c1, out=scratch).addcmul_(dout, k)
        dweight = dgamma if weight is not None else None
        return dx, dweight, dbeta if ctx.has_bias else None, None, None, None, None


def _scale_and_shift(mu, inv_std, weight, bias):
    """Per-feature (scale, shift) with γ·(x - mu)·inv_std + β = x·scale + shift (D,) each."""
    scale = inv_std if weight is None else inv_std * weight
    shift = -mu * scale if bias is None else torch.addcmul(bias, mu, scale, value=-1)
    return scale, shift


def batch_norm(x, running_mean, running_var, weight=None, bias=None, training=False,
               momentum=0.1, eps=1e-5):
    """Batch normalization in torch, like ``torch.nn.functional.batch_norm``.

    training:  out = γ·(x - mu)/√(var + eps) + β with the batch's mu and biased var, through
               ``BatchNormFunction``; given running_mean/running_var, they are updated in place
               (no grad) as running = (1 - momentum)·running + momentum·batch, unbiased var.
    eval:      the same formula with mu, var = running_mean, running_var (autograd's backward).

    Inputs:
    - x: (N, D), (N, C, L) or (N, C, H, W); statistics per feature/channel (axis 1)
    - running_mean, running_var: (D,) or (C,) tensors, or None (needed when training=False)
    - weight (= γ), bias (= β): (D,) or (C,) tensors, or None (affine=False)
    - training: bool; momentum: float in [0, 1]; eps: float > 0 (≥ 0 in eval)
    Returns out, shaped like x. Taught in notebook 05 (and notebook 06 for running statistics).
    """
    where = "batch_norm"
    _check_input(where, x, training, "training=False to normalize with the running statistics")
    _check_eps(where, eps, training)
    _check_momentum(where, momentum)
    _check_running(where, training, running_mean, running_var)
    _check_vectors(where, x, weight=weight, bias=bias, running_mean=running_mean,
                   running_var=running_var)
    x2d = _to_2d(x)
    if training:
        # the Function also updates running_mean/running_var (when given) in place, no grad
        out = BatchNormFunction.apply(x2d, weight, bias, eps, running_mean, running_var, momentum)
    else:  # out = γ·(x - mu)/√(var + eps) + β = x·scale + shift, one pass over x
        scale, shift = _scale_and_shift(running_mean, torch.rsqrt(running_var + eps), weight, bias)
        out = torch.addcmul(shift, x2d, scale)
    if x.ndim == 2:
        return out
    return _from_2d(out, x.shape).contiguous()  # like torch's output, so .view() works on it


class _BatchNorm(nn.Module):
    """Shared base of BatchNorm1d and BatchNorm2d: parameters, buffers, train/eval logic.

    Parameters weight (= γ, ones) and bias (= β, zeros), None when affine=False. Buffers
    running_mean (zeros), running_var (ones), num_batches_tracked (int64), None when
    track_running_stats=False. momentum=None uses the cumulative average, factor
    1/num_batches_tracked. Subclasses set the input dimensions they accept.
    """

    _version = 2  # as torch.nn's: the state dict metadata matches
    _ndims: tuple[int, ...] = ()
    _expects = ""

    def __init__(self, num_features, eps=1e-5, momentum=0.1, affine=True,
                 track_running_stats=True, device=None, dtype=None):
        super().__init__()
        _check_module_arguments(type(self).__name__, num_features, eps, momentum)
        self.num_features, self.eps, self.momentum = num_features, eps, momentum
        self.affine, self.track_running_stats = affine, track_running_stats
        factory = {"device": device, "dtype": dtype}
        if affine:
            self.weight = nn.Parameter(torch.empty(num_features, **factory))
            self.bias = nn.Parameter(torch.empty(num_features, **factory))
        else:
            self.register_parameter("weight", None)
            self.register_parameter("bias", None)
        if track_running_stats:
            self.register_buffer("running_mean", torch.zeros(num_features, **factory))
            self.register_buffer("running_var", torch.ones(num_features, **factory))
            self.register_buffer("num_batches_tracked",
                                 torch.tensor(0, dtype=torch.long, device=device))
        else:
            for name in ("running_mean", "running_var", "num_batches_tracked"):
                self.register_buffer(name, None)
        self.reset_parameters()

    def reset_running_stats(self) -> None:
        """running_mean = 0, running_var = 1, num_batches_tracked = 0 (when tracked)."""
        if self.track_running_stats:
            self.running_mean.zero_()
            self.running_var.fill_(1)
            self.num_batches_tracked.zero_()

    def reset_parameters(self) -> None:
        """Reset the running statistics, and γ = weight to ones, β = bias to zeros."""
        self.reset_running_stats()
        if self.affine:
            nn.init.ones_(self.weight)
            nn.init.zeros_(self.bias)

    def extra_repr(self) -> str:
        return (f"{self.num_features}, eps={self.eps}, momentum={self.momentum}, "
                f"affine={self.affine}, track_running_stats={self.track_running_stats}")

    def _check_input_dim(self, x) -> None:
        name = f"{type(self).__name__}({self.num_features})"
        if x.dim() not in self._ndims:
            raise ValueError(
                f"{type(self).__name__} expects {self._expects}, got a {x.dim()}-D input of "
                f"shape {_shape(x)}"
            )
        if x.shape[1] != self.num_features:
            raise ValueError(
                f"{name} expects {self.num_features} features (channels) on axis 1, got input "
                f"of shape {_shape(x)}"
            )

    def forward(self, x):
        """Batch statistics in training (or when no running statistics are kept), else running."""
        self._check_input_dim(x)  # checks first, so that a failed call changes nothing
        _check_input(type(self).__name__, x, self.training, "call .eval() to use running stats")
        use_batch_stats = self.training or (self.running_mean is None and self.running_var is None)
        _check_eps(type(self).__name__, self.eps, use_batch_stats)
        factor = 0.0 if self.momentum is None else self.momentum
        if self.training and self.track_running_stats and self.num_batches_tracked is not None:
            self.num_batches_tracked.add_(1)
            if self.momentum is None:  # cumulative moving average
                factor = 1.0 / float(self.num_batches_tracked)
        pass_buffers = not self.training or self.track_running_stats
        return batch_norm(x, self.running_mean if pass_buffers else None,
                          self.running_var if pass_buffers else None, self.weight, self.bias,
                          use_batch_stats, factor, self.eps)


class BatchNorm1d(_BatchNorm):
    """Batch normalization over (N, C) features (or (N, C, L) sequences), like torch.nn's.

    out = γ·(x - mu)/√(var + eps) + β per feature, γ = weight, β = bias; mu and var are the
    batch's in training mode and running_mean, running_var in eval mode.
    ``BatchNorm1d(num_features, eps=1e-5, momentum=0.1, affine=True, track_running_stats=True)``;
    input and output (N, C) or (N, C, L). Taught in notebook 05 (running statistics: 06).
    """

    _ndims = (2, 3)
    _expects = "a 2-D input (N, C) or a 3-D input (N, C, L) (for images use BatchNorm2d)"


class BatchNorm2d(_BatchNorm):
    """Batch normalization over the channels of (N, C, H, W) images, like torch.nn's.

    out = γ·(x - mu)/√(var + eps) + β per channel over N, H, W; γ = weight, β = bias; mu and var
    are the batch's in training mode and running_mean, running_var in eval mode.
    ``BatchNorm2d(num_features, eps=1e-5, momentum=0.1, affine=True, track_running_stats=True)``;
    input and output (N, C, H, W). Taught in notebook 05 (running statistics: 06).
    """

    _ndims = (4,)
    _expects = "a 4-D input (N, C, H, W) (for (N, C) features use BatchNorm1d)"


def _check_module_arguments(name: str, num_features, eps, momentum) -> None:
    if not isinstance(num_features, numbers.Integral) or num_features < 1:
        raise ValueError(f"{name}: num_features must be a positive integer, got {num_features!r}")
    _check_eps(name, eps, training=False)
    _check_momentum(name, momentum, allow_none=True)
