"""Batch normalization in torch, the version that trains: a Function, a functional, the modules.

- ``BatchNormFunction``: an ``autograd.Function`` whose backward is notebook 05's formula
- ``batch_norm``: like ``torch.nn.functional.batch_norm`` (same arguments, same defaults)
- ``BatchNorm1d``, ``BatchNorm2d``: like ``torch.nn``'s; their state dicts load into each other

The mathematics is in the Function (training) and ``scale_and_shift`` (eval); the bookkeeping
(buffers, modes, momentum) in the modules. Taught in notebook 05 (running statistics: 06).
"""

from __future__ import annotations

import torch
from torch import nn
from torch.autograd.function import once_differentiable

from ._checks import check_arguments, check_module_arguments, check_module_input
from ._layout import per_feature, reduce_axes, values_per_feature
from .running_stats import scale_and_shift, update_running_stats_


class BatchNormFunction(torch.autograd.Function):
    """Batch normalization with the batch's statistics and the hand-derived backward.

    forward:   mu = mean(x), var = mean((x - mu)²) per feature over the M values of each
               (biased), x_hat = (x - mu)·inv_std with inv_std = 1/√(var + eps),
               out = gamma·x_hat + beta   (gamma = weight, beta = bias; either may be None)
    backward:  dbeta = Σ dout,  dgamma = Σ dout·x_hat,
               dx = gamma·inv_std/M·(M·dout - dbeta - x_hat·dgamma)   (notebook 05, not autograd)

    ``out, mu, var = BatchNormFunction.apply(x, weight, bias, eps)``: x (N, D), (N, C, L) or
    (N, C, H, W); weight, bias (C,) or None; eps a float > 0. Returns out shaped like x, and the
    batch's mu and biased var (C,), not differentiable, so that the caller can update running
    statistics without a second pass over x (like torch's own kernel, which returns them too).
    Differentiable once (double backward raises). Taught in notebook 05.
    """

    @staticmethod
    def forward(ctx, x, weight, bias, eps):
        dims = reduce_axes(x)  # every axis but the features: (0,), (0, 2) or (0, 2, 3)
        mu = x.mean(dim=dims, keepdim=True)  # (1, C), (1, C, 1) or (1, C, 1, 1)
        x_mu = x - mu
        var = x_mu.square().mean(dim=dims, keepdim=True)  # biased, as in the paper
        inv_std = torch.rsqrt(var + eps)
        x_hat = x_mu.mul_(inv_std)  # in place: x - mu is not needed any more
        out = x_hat * per_feature(weight, x) if weight is not None else x_hat.clone()
        if bias is not None:
            out += per_feature(bias, x)
        ctx.save_for_backward(x_hat, weight, inv_std)
        mu, var = mu.reshape(-1), var.reshape(-1)
        ctx.mark_non_differentiable(mu, var)
        return out, mu, var

    @staticmethod
    @once_differentiable
    def backward(ctx, dout, _dmu, _dvar):
        x_hat, weight, inv_std = ctx.saved_tensors
        dims, m = reduce_axes(dout), values_per_feature(dout)
        dbeta = dout.sum(dim=dims, keepdim=True)
        dgamma = (dout * x_hat).sum(dim=dims, keepdim=True)
        dx = None
        if ctx.needs_input_grad[0]:
            # dx = gamma·inv_std/M·(M·dout - dbeta - x_hat·dgamma), term by term in one tensor
            dx = x_hat * (-dgamma / m)
            dx += dout
            dx -= dbeta / m
            dx *= inv_std if weight is None else inv_std * per_feature(weight, dout)
        dweight = dgamma.reshape(-1) if ctx.needs_input_grad[1] else None
        dbias = dbeta.reshape(-1) if ctx.needs_input_grad[2] else None
        return dx, dweight, dbias, None


def batch_norm(x, running_mean, running_var, weight=None, bias=None, training=False,
               momentum=0.1, eps=1e-5):
    """Batch normalization in torch, like ``torch.nn.functional.batch_norm``.

    training:  out = γ·(x - mu)/√(var + eps) + β with the batch's mu and biased var, through
               ``BatchNormFunction``; given running_mean/running_var, they are updated in place
               by ``update_running_stats_`` (momentum, unbiased var, no grad).
    eval:      out = x·scale + shift with (scale, shift) = ``scale_and_shift(running_mean,
               running_var, weight, bias, eps)`` (autograd's backward).

    Inputs:
    - x: (N, D), (N, C, L) or (N, C, H, W); statistics per feature/channel (axis 1)
    - running_mean, running_var: (D,) or (C,) tensors, or None (only when training=True)
    - weight (= γ), bias (= β): (D,) or (C,) tensors, or None (affine=False)
    - training: bool, default False; momentum: float in [0, 1]; eps: float > 0 (≥ 0 in eval)
    Returns out, shaped like x. Taught in notebook 05 (and notebook 06 for running statistics).

    >>> x = torch.randn(8, 3)
    >>> out = batch_norm(x, None, None, training=True)  # each column: mean 0, variance ≈ 1
    """
    check_arguments("batch_norm", x, running_mean, running_var, training, momentum, eps,
                    weight=weight, bias=bias)
    return _batch_norm(x, running_mean, running_var, weight, bias, training, momentum, eps)


def _batch_norm(x, running_mean, running_var, weight, bias, training, momentum, eps):
    """``batch_norm`` without the checks (the modules check their own arguments once)."""
    if not training:
        scale, shift = scale_and_shift(running_mean, running_var, weight, bias, eps)
        return x * per_feature(scale, x) + per_feature(shift, x)
    out, mu, var = BatchNormFunction.apply(x, weight, bias, eps)
    if running_mean is not None:
        update_running_stats_(running_mean, running_var, mu, var, values_per_feature(x), momentum)
    return out


class _BatchNorm(nn.Module):
    """Shared base of BatchNorm1d and BatchNorm2d: parameters, buffers, train/eval logic.

    momentum=None uses the cumulative average, factor 1/num_batches_tracked. Subclasses set the
    input dimensions they accept.
    """

    _version = 2  # as torch.nn's: the state dict metadata matches
    _ndims: tuple[int, ...] = ()
    _expects = ""

    def __init__(self, num_features, eps=1e-5, momentum=0.1, affine=True,
                 track_running_stats=True, device=None, dtype=None):
        super().__init__()
        check_module_arguments(type(self).__name__, num_features, eps, momentum)
        self.num_features, self.eps, self.momentum = num_features, eps, momentum
        self.affine, self.track_running_stats = affine, track_running_stats
        factory = {"device": device, "dtype": dtype}
        # parameters (trained with backprop): γ = weight (ones), β = bias (zeros)
        if affine:
            self.weight = nn.Parameter(torch.empty(num_features, **factory))
            self.bias = nn.Parameter(torch.empty(num_features, **factory))
        else:
            self.register_parameter("weight", None)
            self.register_parameter("bias", None)
        # buffers (updated with the momentum rule, saved in the state dict, no gradient)
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

    def forward(self, x):
        """Batch statistics in training (or when no running statistics are kept), else running."""
        use_batch_stats = self.training or (self.running_mean is None and self.running_var is None)
        check_module_input(self, x, use_batch_stats)  # first, so that a failed call changes nothing
        momentum = 0.0 if self.momentum is None else self.momentum
        if self.training and self.track_running_stats and self.num_batches_tracked is not None:
            self.num_batches_tracked.add_(1)
            if self.momentum is None:  # the cumulative average of all batches so far
                momentum = 1.0 / float(self.num_batches_tracked)
        pass_buffers = not self.training or self.track_running_stats
        return _batch_norm(x, self.running_mean if pass_buffers else None,
                           self.running_var if pass_buffers else None, self.weight, self.bias,
                           use_batch_stats, momentum, self.eps)


class BatchNorm1d(_BatchNorm):
    """Batch normalization over (N, C) features (or (N, C, L) sequences), like torch.nn's.

    out = γ·(x - mu)/√(var + eps) + β per feature, γ = weight, β = bias; mu and var are the
    batch's in training mode and running_mean, running_var in eval mode.
    ``BatchNorm1d(num_features, eps=1e-5, momentum=0.1, affine=True, track_running_stats=True)``;
    input and output (N, C) or (N, C, L). Taught in notebook 05 (running statistics: 06).

    >>> bn = BatchNorm1d(100)
    >>> out = bn(torch.randn(20, 100))  # (20, 100); bn.running_mean has moved 10 % of the way
    """

    _ndims = (2, 3)
    _expects = "a 2-D input (N, C) or a 3-D input (N, C, L) (for images use BatchNorm2d)"


class BatchNorm2d(_BatchNorm):
    """Batch normalization over the channels of (N, C, H, W) images, like torch.nn's.

    out = γ·(x - mu)/√(var + eps) + β per channel over N, H, W; γ = weight, β = bias; mu and var
    are the batch's in training mode and running_mean, running_var in eval mode.
    ``BatchNorm2d(num_features, eps=1e-5, momentum=0.1, affine=True, track_running_stats=True)``;
    input and output (N, C, H, W). Taught in notebook 05 (running statistics: 06).

    >>> bn = BatchNorm2d(16)
    >>> out = bn(torch.randn(8, 16, 28, 28))  # (8, 16, 28, 28)
    """

    _ndims = (4,)
    _expects = "a 4-D input (N, C, H, W) (for (N, C) features use BatchNorm1d)"
