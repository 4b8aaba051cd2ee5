"""Batch normalization at inference time: population statistics and folding.

In training mode a BN layer normalizes with the statistics of its mini-batch; in eval mode with
fixed estimates of the population statistics. This module holds the reference versions of what
notebook 06 teaches about that switch:

- ``bn_layers(model)``: every batch-norm layer of a model, bottom to top
- ``precise_bn_(model, x, batch_size=60)``: recompute every BN layer's running statistics with
  the weights frozen, as Algorithm 2 (Ioffe & Szegedy 2015) does: the mean of the unbiased batch
  variances, as PyTorch's ``torch.optim.swa_utils.update_bn`` (with dropout switched off). Wu &
  Johnson's (2021) "precise BN" (fvcore) pools the batches instead, E[σ²_B + μ²_B] − E[μ_B]²;
  the two agree for i.i.d. batches
- ``variance_shift(model, x)``: per BN layer, running variance / the variance its input has in
  eval mode, the "variance shift" that dropout before BN causes (Li et al. 2019; notebooks 10, 13)
- ``fold_batchnorm(bn) -> (scale, shift)``: an eval-mode BN layer as one affine map per feature
- ``fold_into_linear(linear, bn)`` and ``fold_mlp(net)``: merge BN into the preceding Linear
  layer (PyTorch's ``torch.nn.utils.fusion.fuse_linear_bn_eval``, which needs affine=True, does
  the same for one pair)

Batch renormalization (notebook 06) is a training-time layer: ``helpers.normalization``.
Shapes: N = examples, D = features, m = mini-batch size.
"""

from __future__ import annotations

import copy

import torch
from torch import nn
from torch.optim.swa_utils import update_bn

from helpers.measurements import layer_inputs
from helpers.normalization import scale_and_shift
from helpers.normalization.layout import reduce_axes

__all__ = ["bn_layers", "precise_bn_", "variance_shift", "fold_batchnorm", "fold_into_linear",
           "fold_mlp"]


def bn_layers(model: nn.Module) -> list[nn.Module]:
    """Every batch-norm layer of ``model`` (torch.nn's or the course's), bottom to top."""
    return [m for m in model.modules()
            if all(hasattr(m, a) for a in ("running_mean", "running_var", "momentum",
                                           "reset_running_stats"))]


def precise_bn_(model: nn.Module, x: torch.Tensor, batch_size: int = 60, seed: int = 0):
    """Set every BN layer's running statistics to Algorithm 2's population statistics, in place.

    With the weights frozen, over the mini-batches B of m = batch_size consecutive rows of a
    shuffled copy of x (the last partial batch dropped), each layer gets (Algorithm 2)
        running_mean = E_B[mu_B],   running_var = m/(m - 1)·E_B[sigma²_B]
    the mean of the unbiased batch variances. Wu & Johnson's (2021) precise BN (fvcore) pools the
    batches instead, E_B[sigma²_B + mu²_B] − E_B[mu_B]²; the two agree for i.i.d. batches.
    This is PyTorch's ``torch.optim.swa_utils.update_bn`` (reset, cumulative average with
    momentum=None, one pass in training mode, then momentum and the mode restored) plus what it
    lacks: seeded mini-batches of a chosen size, and dropout switched off during the pass.

    model: a network whose BN layers are torch.nn's (update_bn recognizes those); x: (N, D)
    training inputs on the model's device, N ≥ batch_size ≥ 2. Returns model. Notebook 06.
    """
    layers = bn_layers(model)
    if not layers or any(bn.running_mean is None for bn in layers):
        raise ValueError("precise_bn_: the model has no BN layer that tracks running statistics")
    if not all(isinstance(bn, nn.modules.batchnorm._BatchNorm) for bn in layers):
        raise ValueError("precise_bn_: torch.optim.swa_utils.update_bn updates torch.nn's "
                         "BatchNorm layers only; build the model with nn.BatchNorm1d/2d")
    if not isinstance(batch_size, int) or not 2 <= batch_size <= len(x):
        raise ValueError(f"precise_bn_: batch_size must be an integer in [2, {len(x)}] "
                         f"(the number of examples), got {batch_size!r}")
    perm = torch.randperm(len(x), generator=torch.Generator().manual_seed(seed)).to(x.device)
    batches = [x[perm[i:i + batch_size]] for i in range(0, len(x) - batch_size + 1, batch_size)]
    dropouts = [m for m in model.modules() if isinstance(m, nn.modules.dropout._DropoutNd)]
    rates = [m.p for m in dropouts]
    try:
        for m in dropouts:  # update_bn runs the model in training mode: p = 0 turns dropout off
            m.p = 0.0
        update_bn(batches, model)
    finally:
        for m, p in zip(dropouts, rates):
            m.p = p
    return model


def variance_shift(model: nn.Module, x: torch.Tensor) -> list[float]:
    """Per BN layer, bottom to top: median over features of running_var / input variance.

    The input variance is that of the layer's input in eval mode on x (N, ...) (dropout off, as
    at test time), over every axis but the features. 1 when the running statistics describe
    what the layer sees at test time; above 1 after dropout in front of it (Li et al. 2019).
    The model is not changed (a copy is measured).
    """
    model = copy.deepcopy(model).eval()
    layers = bn_layers(model)
    with torch.no_grad():
        inputs = layer_inputs(model, x, layers)
    return [(bn.running_var / z.var(dim=reduce_axes(z))).median().item()
            for bn, z in zip(layers, inputs)]


def fold_batchnorm(bn: nn.Module) -> tuple[torch.Tensor, torch.Tensor]:
    """An eval-mode BN layer as one affine map per feature: BN(x) = scale·x + shift.

    scale = γ / √(running_var + eps),   shift = β − running_mean·scale   (γ = 1, β = 0 if
    affine=False). Returns (scale, shift), both (D,), detached. Taught in notebook 06.
    """
    if getattr(bn, "running_mean", None) is None:
        raise ValueError("fold_batchnorm: the layer keeps no running statistics "
                         "(track_running_stats=False), so eval mode has nothing to fold")
    with torch.no_grad():
        scale, shift = scale_and_shift(bn.running_mean, bn.running_var, bn.weight, bn.bias,
                                       bn.eps)
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
