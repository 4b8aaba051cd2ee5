"""Batch Renormalization (Ioffe 2017): batch norm whose training output follows the running stats.

- ``batch_renorm(...)``: the functional form, for (N, D) features
- ``BatchRenorm1d``: the module, a ``BatchNorm1d`` whose training mode renormalizes

Taught in notebook 06.
"""

from __future__ import annotations

import torch

from ._checks import check_module_input
from .batchnorm_torch import BatchNorm1d
from .running_stats import update_running_stats_


def batch_renorm(x, running_mean, running_var, weight=None, bias=None, training=False,
                 r_max=3.0, d_max=5.0, momentum=0.01, eps=1e-5):
    """Batch Renormalization (Ioffe 2017) of x (N, D); in eval mode the same as batch norm.

    training:  mu_B, sigma_B = batch mean, √(biased var + eps);  sigma = √(running_var + eps)
               r = clip(sigma_B / sigma, 1/r_max, r_max),  d = clip((mu_B − running_mean) / sigma,
               −d_max, d_max), both treated as constants (no gradient flows through them);
               x_hat = (x − mu_B)/sigma_B·r + d; the running statistics are then updated by
               ``update_running_stats_`` as in batch norm (momentum, unbiased var), in place.
    eval:      x_hat = (x − running_mean)/sigma.
    both:      out = γ·x_hat + β  (γ = weight, β = bias, (D,) or None).

    Inputs: x (N, D); running_mean, running_var (D,) tensors; weight, bias (D,) or None;
    training bool; r_max ≥ 1, d_max ≥ 0; momentum in [0, 1]; eps > 0. Returns out (N, D).
    With r = 1, d = 0 (r_max = 1, d_max = 0) training mode is batch norm. Taught in notebook 06.
    """
    if x.dim() != 2:
        raise ValueError(f"batch_renorm expects a 2-D input (N, D), got shape {tuple(x.shape)}")
    sigma = torch.sqrt(running_var + eps)
    if training:
        if x.shape[0] < 2:
            raise ValueError("batch_renorm: training needs at least 2 examples per batch")
        mu_b, var_b = x.mean(dim=0), x.var(dim=0, unbiased=False)
        sigma_b = torch.sqrt(var_b + eps)
        with torch.no_grad():  # r and d are constants for the backward pass
            r = (sigma_b / sigma).clamp(1 / r_max, r_max)
            d = ((mu_b - running_mean) / sigma).clamp(-d_max, d_max)
        update_running_stats_(running_mean, running_var, mu_b, var_b, x.shape[0], momentum)
        x_hat = (x - mu_b) / sigma_b * r + d
    else:
        x_hat = (x - running_mean) / sigma
    out = x_hat if weight is None else x_hat * weight
    return out if bias is None else out + bias


class BatchRenorm1d(BatchNorm1d):
    """Batch Renormalization (Ioffe 2017) for (N, D) features; eval mode is batch norm's.

    ``BatchRenorm1d(num_features, r_max=3.0, d_max=5.0, eps=1e-5, momentum=0.01, affine=True)``:
    the course's BatchNorm1d (γ = weight, β = bias, running_mean, running_var, state dict) whose
    training mode normalizes with ``batch_renorm``. r_max and d_max are plain attributes, so a
    training loop can relax them over time as the paper does. Taught in notebook 06.

    >>> brn = BatchRenorm1d(100)
    >>> out = brn(torch.randn(20, 100))  # (20, 100)
    """

    def __init__(self, num_features, r_max=3.0, d_max=5.0, eps=1e-5, momentum=0.01,
                 affine=True, device=None, dtype=None):
        if momentum is None:
            raise ValueError("BatchRenorm1d: momentum must be a number (the renormalization "
                             "needs running statistics that follow training)")
        super().__init__(num_features, eps=eps, momentum=momentum, affine=affine,
                         track_running_stats=True, device=device, dtype=dtype)
        self.r_max, self.d_max = r_max, d_max  # plain attributes, not parameters or buffers

    def extra_repr(self) -> str:
        return f"{super().extra_repr()}, r_max={self.r_max}, d_max={self.d_max}"

    def forward(self, x):
        if not self.training:
            return super().forward(x)
        check_module_input(self, x, use_batch_stats=True)
        self.num_batches_tracked.add_(1)
        return batch_renorm(x, self.running_mean, self.running_var, self.weight, self.bias,
                            True, self.r_max, self.d_max, self.momentum, self.eps)
