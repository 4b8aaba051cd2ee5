"""Batch normalization at inference time: population statistics, folding, batch renormalization.

In training mode a BN layer normalizes with the statistics of its mini-batch; in eval mode with
fixed estimates of the population statistics. This module holds the reference versions of what
notebook 06 teaches about that switch:

- ``precise_bn_(model, x, batch_size=60)``: recompute every BN layer's running statistics as the
  population statistics of Algorithm 2 (Ioffe & Szegedy 2015), "precise BN" (Wu & Johnson 2021)
- ``fold_batchnorm(bn) -> (scale, shift)``: an eval-mode BN layer as one affine map per feature
- ``fold_into_linear(linear, bn)`` and ``fold_mlp(net)``: merge BN into the preceding Linear layer
- ``class_batches(labels, batch_size, classes_per_batch=1)``: non-i.i.d. mini-batches, for
  ``helpers.training.train(..., batches=...)``
- ``batch_renorm(...)`` and ``BatchRenorm1d``: Batch Renormalization (Ioffe 2017)

Works with ``torch.nn.BatchNorm1d/2d`` and with the course's ``helpers.normalization`` modules.
Shapes: N = examples, D = features, C = classes, m = mini-batch size.
"""

from __future__ import annotations

import copy

import numpy as np
import torch
from torch import nn

from helpers.normalization import BatchNorm1d

__all__ = ["bn_layers", "precise_bn_", "fold_batchnorm", "fold_into_linear", "fold_mlp",
           "class_batches", "batch_renorm", "BatchRenorm1d"]


def bn_layers(model: nn.Module) -> list[nn.Module]:
    """Every batch-norm layer of ``model`` (torch.nn's or the course's), bottom to top."""
    return [m for m in model.modules()
            if all(hasattr(m, a) for a in ("running_mean", "running_var", "momentum",
                                           "reset_running_stats"))]


@torch.no_grad()
def precise_bn_(model: nn.Module, x: torch.Tensor, batch_size: int = 60, seed: int = 0):
    """Set every BN layer's running statistics to the population statistics, in place.

    With the weights frozen, over the mini-batches B of m = batch_size consecutive rows of a
    shuffled copy of x (the last partial batch dropped), each layer gets (Algorithm 2)
        running_mean = E_B[mu_B],   running_var = m/(m - 1)·E_B[sigma²_B]
    computed as PyTorch's cumulative average (momentum=None) in training mode, dropout off.
    Afterwards momentum and the model's train/eval mode are restored.

    model: a network with BN layers that track running statistics; x: (N, D) training inputs on
    the model's device, N ≥ batch_size ≥ 2. Returns model. Taught in notebook 06.
    """
    layers = bn_layers(model)
    if not layers or any(bn.running_mean is None for bn in layers):
        raise ValueError("precise_bn_: the model has no BN layer that tracks running statistics")
    if not isinstance(batch_size, int) or not 2 <= batch_size <= len(x):
        raise ValueError(f"precise_bn_: batch_size must be an integer in [2, {len(x)}] "
                         f"(the number of examples), got {batch_size!r}")
    was_training, momenta = model.training, [bn.momentum for bn in layers]
    perm = torch.randperm(len(x), generator=torch.Generator().manual_seed(seed)).to(x.device)
    try:
        model.train()
        for m in model.modules():
            if isinstance(m, nn.Dropout):
                m.eval()
        for bn in layers:
            bn.reset_running_stats()
            bn.momentum = None
        for i in range(0, len(x) - batch_size + 1, batch_size):
            model(x[perm[i:i + batch_size]])
    finally:
        for bn, momentum in zip(layers, momenta):
            bn.momentum = momentum
        model.train(was_training)
    return model


def fold_batchnorm(bn: nn.Module) -> tuple[torch.Tensor, torch.Tensor]:
    """An eval-mode BN layer as one affine map per feature: BN(x) = scale·x + shift.

    scale = γ / √(running_var + eps),   shift = β − running_mean·scale   (γ = 1, β = 0 if
    affine=False). Returns (scale, shift), both (D,), detached. Taught in notebook 06.
    """
    if getattr(bn, "running_mean", None) is None:
        raise ValueError("fold_batchnorm: the layer keeps no running statistics "
                         "(track_running_stats=False), so eval mode has nothing to fold")
    with torch.no_grad():
        scale = torch.rsqrt(bn.running_var + bn.eps)
        if bn.weight is not None:
            scale = scale * bn.weight
        shift = -bn.running_mean * scale
        if bn.bias is not None:
            shift = shift + bn.bias
    return scale.detach().clone(), shift.detach().clone()


def fold_into_linear(linear: nn.Linear, bn: nn.Module) -> nn.Linear:
    """A new Linear layer equal to bn(linear(u)) with bn in eval mode.

    W' = diag(scale)·W,   b' = scale·b + shift   (b = 0 when linear has no bias), with
    (scale, shift) from ``fold_batchnorm``. linear: in -> D; bn: D features. Notebook 06.
    """
    scale, shift = fold_batchnorm(bn)
    if scale.shape != (linear.out_features,):
        raise ValueError(f"fold_into_linear: bn has {scale.shape[0]} features but linear has "
                         f"{linear.out_features} outputs")
    folded = nn.Linear(linear.in_features, linear.out_features, bias=True,
                       device=linear.weight.device, dtype=linear.weight.dtype)
    with torch.no_grad():
        folded.weight.copy_(linear.weight * scale[:, None])
        b = linear.bias if linear.bias is not None else torch.zeros_like(scale)
        folded.bias.copy_(b * scale + shift)
    return folded


def fold_mlp(net: nn.Sequential) -> nn.Sequential:
    """A copy of a Sequential network with every (Linear, BN) pair merged into one Linear.

    For inference only: the result equals ``net.eval()`` on any input and has no BN layer left.
    Other layers (activations, dropout, the output layer) are copied. Taught in notebook 06.
    """
    if not isinstance(net, nn.Sequential):
        raise ValueError(f"fold_mlp: expected an nn.Sequential (e.g. from make_mlp), "
                         f"got {type(net).__name__}")
    bns = set(map(id, bn_layers(net)))
    items = list(net.named_children())
    folded = nn.Sequential()
    for i, (name, layer) in enumerate(items):
        if id(layer) in bns and i > 0 and isinstance(items[i - 1][1], nn.Linear):
            continue  # merged into the Linear layer before it
        nxt = items[i + 1][1] if i + 1 < len(items) else None
        if isinstance(layer, nn.Linear) and nxt is not None and id(nxt) in bns:
            layer = fold_into_linear(layer, nxt)
        else:
            layer = copy.deepcopy(layer)
        folded.add_module(name, layer)
    return folded.eval()


def class_batches(labels, batch_size: int, classes_per_batch: int = 1, seed: int = 0):
    """Endless non-i.i.d. mini-batches: each one drawn from ``classes_per_batch`` random classes.

    Every batch picks its classes at random (uniformly, without repetition), then splits
    batch_size as evenly as possible among them; each class's examples are visited in a seeded
    shuffled order, reshuffled when used up (no example twice in a batch unless its class is
    smaller than its share). labels: (N,) integer class labels (array or tensor).
    Yields int64 index tensors of shape (batch_size,), for ``train(..., batches=...)``.
    Taught in notebook 06.
    """
    labels = np.asarray(labels.cpu() if hasattr(labels, "cpu") else labels)
    classes = np.unique(labels)
    if not isinstance(classes_per_batch, int) or not 1 <= classes_per_batch <= len(classes):
        raise ValueError(f"class_batches: classes_per_batch must be an integer in "
                         f"[1, {len(classes)}], got {classes_per_batch!r}")
    if not isinstance(batch_size, int) or batch_size < classes_per_batch:
        raise ValueError(f"class_batches: batch_size must be an integer ≥ classes_per_batch "
                         f"({classes_per_batch}), got {batch_size!r}")
    rng = np.random.default_rng(seed)
    pools = {c: np.flatnonzero(labels == c) for c in classes}
    order = {c: rng.permutation(p) for c, p in pools.items()}
    while True:
        chosen = rng.choice(classes, size=classes_per_batch, replace=False)
        counts = np.diff(np.linspace(0, batch_size, classes_per_batch + 1).round().astype(int))
        parts = []
        for c, k in zip(chosen, counts):
            while len(order[c]) < k:  # next pass over the class; no repeats within a batch
                fresh = rng.permutation(pools[c])
                if len(pools[c]) >= k:
                    fresh = fresh[~np.isin(fresh, order[c])]
                order[c] = np.concatenate([order[c], fresh])
            parts.append(order[c][:k])
            order[c] = order[c][k:]
        yield torch.as_tensor(np.concatenate(parts), dtype=torch.int64)


def batch_renorm(x, running_mean, running_var, weight=None, bias=None, training=False,
                 r_max=3.0, d_max=5.0, momentum=0.01, eps=1e-5):
    """Batch Renormalization (Ioffe 2017) of x (N, D); in eval mode the same as batch norm.

    training:  mu_B, sigma_B = batch mean, √(biased var + eps);  sigma = √(running_var + eps)
               r = clip(sigma_B / sigma, 1/r_max, r_max),  d = clip((mu_B − running_mean) / sigma,
               −d_max, d_max), both treated as constants (no gradient flows through them);
               x_hat = (x − mu_B)/sigma_B·r + d; the running statistics are then updated as in
               batch norm (momentum, unbiased var), in place.
    eval:      x_hat = (x − running_mean)/sigma.
    both:      out = γ·x_hat + β  (γ = weight, β = bias, (D,) or None).
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
        with torch.no_grad():
            r = (sigma_b / sigma).clamp(1 / r_max, r_max)
            d = ((mu_b - running_mean) / sigma).clamp(-d_max, d_max)
            m = x.shape[0]
            running_mean.mul_(1 - momentum).add_(momentum * mu_b)
            running_var.mul_(1 - momentum).add_(momentum * var_b * m / (m - 1))
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
    """

    def __init__(self, num_features, r_max=3.0, d_max=5.0, eps=1e-5, momentum=0.01,
                 affine=True, device=None, dtype=None):
        if momentum is None:
            raise ValueError("BatchRenorm1d: momentum must be a number (the renormalization "
                             "needs running statistics that follow training)")
        super().__init__(num_features, eps=eps, momentum=momentum, affine=affine,
                         track_running_stats=True, device=device, dtype=dtype)
        self.r_max, self.d_max = r_max, d_max

    def extra_repr(self) -> str:
        return f"{super().extra_repr()}, r_max={self.r_max}, d_max={self.d_max}"

    def forward(self, x):
        if not self.training:
            return super().forward(x)
        self._check_input_dim(x)
        self.num_batches_tracked.add_(1)
        return batch_renorm(x, self.running_mean, self.running_var, self.weight, self.bias,
                            True, self.r_max, self.d_max, self.momentum, self.eps)
