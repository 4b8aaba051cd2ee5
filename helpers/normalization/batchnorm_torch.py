"""Batch normalization in torch, the version that trains: a Function, a functional, the modules.

- ``BatchNormFunction``: an ``autograd.Function`` whose backward is notebook 05's formula
- ``batch_statistics``: a batch's mean and biased variance per feature, for that Function
- ``batch_norm``: like ``torch.nn.functional.batch_norm`` (same arguments, same defaults)
- ``BatchNorm1d``, ``BatchNorm2d``: like ``torch.nn``'s; their state dicts load into each other

The mathematics is in the Function (training) and ``scale_and_shift`` (eval); the bookkeeping
(buffers, modes, momentum) in the modules. Notebook 05 writes ``batch_statistics``,
``BatchNormFunction`` and ``batch_norm`` with the same code (``batch_norm`` without its argument
checks); notebook 06 teaches its running statistics and eval mode.
"""

from __future__ import annotations

import torch
from torch import nn
from torch.autograd.function import once_differentiable

from ._checks import check_arguments, check_module_arguments, check_module_input
from .layout import per_feature, reduce_axes, values_per_feature
from .running_stats import scale_and_shift, update_running_stats_


class BatchNormFunction(torch.autograd.Function):
    """Batch normalization with the batch's statistics and the backward derived in notebook 05.

    forward:   x_hat = (x - mu)·inv_std with inv_std = 1/√(var + eps),  out = γ·x_hat + β
    backward:  dbeta = Σ dout,  dgamma = Σ dout·x_hat   (sums over the M values of each feature)
               dx = γ·inv_std·(dout - dbeta/M - x_hat·dgamma/M)

    ``out = BatchNormFunction.apply(x, mu, var, weight, bias, eps)``:
    - x: (N, C), (N, C, L) or (N, C, H, W); M = N, N·L or N·H·W values per feature
    - mu, var: x's own batch mean and biased variance, from ``batch_statistics(x)``, shaped
      (1, C), (1, C, 1) or (1, C, 1, 1). They are inputs without a gradient of their own, computed
      without a graph: to autograd they are constants, but the backward above already holds
      every path from x through mu and var (the two sums), so none is lost or counted twice, and
      the caller can update its running statistics from the same numbers without a second pass
      over x. They must be x's own: with other statistics (running ones) dx would be wrong.
    - weight (= γ), bias (= β): shaped like mu (``per_feature``) or broadcastable to it
    - eps: float > 0
    Returns out, shaped like x. Differentiable once (a double backward raises).

    Why it is fast: ``torch.addcmul(c, a, b)`` computes c + a·b in one pass over the data, so
    x_hat and out take one pass each and dx two (the second in place), where the formulas written
    term by term take two passes for x_hat and for out and five for dx, each pass writing a new
    temporary tensor the size of x. And the backward allocates one tensor the size of x, not two:
    dx is written into the memory of dout·x_hat once its sum is taken. A new large tensor costs
    more than its arithmetic on a CPU (the operating system hands over fresh memory page by
    page), so fewer of them is most of the speed (``tools/bench_batchnorm.py`` times it against
    torch's kernel).

    >>> x = torch.randn(8, 3, requires_grad=True)
    >>> out = BatchNormFunction.apply(x, *batch_statistics(x), torch.ones(3), torch.zeros(3), 1e-5)
    """

    @staticmethod
    def forward(ctx, x, mu, var, weight, bias, eps):
        inv_std = torch.rsqrt(var + eps)
        x_hat = torch.addcmul(-mu * inv_std, x, inv_std)  # (x - mu)·inv_std
        ctx.save_for_backward(x_hat, weight, inv_std)
        return torch.addcmul(bias, x_hat, weight)  # weight·x_hat + bias

    @staticmethod
    @once_differentiable
    def backward(ctx, dout):
        x_hat, weight, inv_std = ctx.saved_tensors
        dims, m = reduce_axes(dout), values_per_feature(dout)
        dout_x_hat = dout * x_hat  # the one new (N, C) tensor of the backward; dx reuses it
        dbeta, dgamma = dout.sum(dims, keepdim=True), dout_x_hat.sum(dims, keepdim=True)
        scale = weight * inv_std  # dx = scale·(dout - dbeta/M - x_hat·dgamma/M), multiplied out:
        dx = torch.addcmul(scale * dbeta / -m, dout, scale, out=dout_x_hat)
        dx.addcmul_(x_hat, scale * dgamma / -m)
        return dx, None, None, dgamma, dbeta, None


@torch.no_grad()  # no graph: BatchNormFunction's backward holds the paths through mu and var
def batch_statistics(x):
    """The batch mean and biased variance of each feature, for ``BatchNormFunction``.

        mu = mean(x),  var = mean((x - mu)²)   over the M values of each feature (axis 1)

    Two passes (the mean first) keep var accurate in float32 even when |mu| ≫ σ.
    x: (N, C), (N, C, L) or (N, C, H, W). Returns (mu, var), each (1, C), (1, C, 1) or
    (1, C, 1, 1), without a gradient. Taught in notebook 05.
    """
    dims = reduce_axes(x)
    mu = x.mean(dims, keepdim=True)
    var = (x - mu).square_().mean(dims, keepdim=True)
    return mu, var


def batch_norm(x, running_mean, running_var, weight=None, bias=None, training=False,
               momentum=0.1, eps=1e-5):
    """Batch normalization in torch, like ``torch.nn.functional.batch_norm``.

    training:  out = γ·(x - mu)/√(var + eps) + β with the batch's mu and biased var
               (``batch_statistics``), through ``BatchNormFunction``; given running_mean and
               running_var, they are updated in place by ``update_running_stats_`` (momentum,
               unbiased var, no gradient) from the same mu and var.
    eval:      out = x·scale + shift with (scale, shift) = ``scale_and_shift(running_mean,
               running_var, weight, bias, eps)`` (autograd's backward: mu, var are constants).

    Inputs:
    - x: (N, C), (N, C, L) or (N, C, H, W); statistics per feature/channel (axis 1)
    - running_mean, running_var: (C,) tensors, or None (only when training=True)
    - weight (= γ), bias (= β): (C,) tensors, or None (affine=False: γ = 1, β = 0)
    - training: bool, default False; momentum: float in [0, 1]; eps: float > 0 (≥ 0 in eval)
    Returns out, shaped like x. Taught in notebook 05 (running statistics, eval mode: 06).

    >>> x = torch.randn(8, 3)
    >>> out = batch_norm(x, None, None, training=True)  # each column: mean 0, variance ≈ 1
    """
    check_arguments("batch_norm", x, running_mean, running_var, training, momentum, eps,
                    weight=weight, bias=bias)
    weight = x.new_ones(x.shape[1]) if weight is None else weight  # affine=False: γ = 1, β = 0
    bias = x.new_zeros(x.shape[1]) if bias is None else bias
    if not training:  # eval mode: the running statistics are constants (notebook 06)
        scale, shift = scale_and_shift(running_mean, running_var, weight, bias, eps)
        return torch.addcmul(per_feature(shift, x), x, per_feature(scale, x))  # x·scale + shift
    mu, var = batch_statistics(x)
    if running_mean is not None:  # notebook 06
        update_running_stats_(running_mean, running_var, mu.flatten(), var.flatten(),
                              values_per_feature(x), momentum)
    return BatchNormFunction.apply(x, mu, var, per_feature(weight, x), per_feature(bias, x), eps)


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
        return batch_norm(x, self.running_mean if pass_buffers else None,
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
