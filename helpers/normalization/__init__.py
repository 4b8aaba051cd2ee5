"""Batch normalization in numpy (see-through, explicit backward) and in torch (the one that trains);
layer, group and instance normalization in numpy.

Batch normalization standardizes each feature with the statistics of the current mini-batch,
then scales and shifts it with learned parameters γ (``gamma``, = ``weight``) and β (``beta``,
= ``bias``):

    mu = mean(x),  var = mean((x - mu)²),  x_hat = (x - mu) / √(var + eps),  out = γ·x_hat + β

The modules, one idea each (the mathematics first, the argument checks last). Notebook 05 writes
the functions marked (05) itself, under these names, with these arguments and the same cache:

- ``batchnorm_numpy``: ``batchnorm_forward(x, running_mean, running_var, gamma, beta,
  training=False, momentum=0.1, eps=1e-5) -> (out, cache)``, ``batchnorm_backward(dout, cache)``
  (the simplified closed form) and ``batchnorm_backward_steps(dout, cache)`` (node by node)
  (all three 05), sharing one ``BatchNormCache``
- ``batchnorm_torch``: ``BatchNormFunction`` (an ``autograd.Function`` with the hand-derived
  backward; it takes the batch's statistics from ``batch_statistics``), ``batch_norm`` (like
  ``torch.nn.functional.batch_norm``) (all three 05), and the modules ``BatchNorm1d``,
  ``BatchNorm2d`` built on ``batch_norm`` (like ``torch.nn``'s; their state dicts load into each
  other)
- ``running_stats``: ``update_running_stats_(running_mean, running_var, mu, var, m, momentum)``
  (PyTorch's momentum rule, numpy or torch) and ``scale_and_shift`` (batch norm with fixed
  statistics as one affine map) (notebook 06)
- ``batch_renorm``: ``batch_renorm`` and ``BatchRenorm1d``, Batch Renormalization (notebook 06)
- ``groupnorm_numpy``: ``groupnorm_forward(x, gamma, beta, num_groups, eps=1e-5)``,
  ``groupnorm_backward``, ``instancenorm_forward(x, gamma, beta, eps=1e-5)``,
  ``instancenorm_backward``, sharing one ``GroupNormCache``: statistics per example over a group
  of channels, never across the batch (notebook 12)
- ``layernorm_numpy``: ``layernorm_forward(x, gamma, beta, eps=1e-5)`` and ``layernorm_backward``,
  each example standardized over all its features: group norm with one group (notebook 12)
- ``layout``: ``reduce_axes``, ``per_feature``, ``values_per_feature``: which axes the statistics
  are taken over, for (N, D), (N, C, L), (N, C, H, W) (also used by ``helpers.inference`` and
  ``helpers.dashboard``)
- ``_checks``: the argument checks and their error messages

Conventions, as in PyTorch: normalization uses the biased batch variance (divide by M);
``running_var`` stores the unbiased one (divide by M - 1); the running statistics are updated
as running = (1 - momentum)·running + momentum·batch.
Shapes: N = batch, D = features, C = channels, L = length; M = values per feature
(N for (N, D), N·L for (N, C, L), N·H·W for (N, C, H, W)).
"""

from .batch_renorm import BatchRenorm1d, batch_renorm
from .batchnorm_numpy import (
    BatchNormCache,
    batchnorm_backward,
    batchnorm_backward_steps,
    batchnorm_forward,
)
from .batchnorm_torch import (
    BatchNorm1d,
    BatchNorm2d,
    BatchNormFunction,
    batch_norm,
    batch_statistics,
)
from .groupnorm_numpy import (
    GroupNormCache,
    groupnorm_backward,
    groupnorm_forward,
    instancenorm_backward,
    instancenorm_forward,
)
from .layernorm_numpy import layernorm_backward, layernorm_forward
from .running_stats import scale_and_shift, update_running_stats_

__all__ = [
    "batchnorm_forward",
    "batchnorm_backward",
    "batchnorm_backward_steps",
    "BatchNormCache",
    "BatchNormFunction",
    "batch_statistics",
    "batch_norm",
    "BatchNorm1d",
    "BatchNorm2d",
    "update_running_stats_",
    "scale_and_shift",
    "batch_renorm",
    "BatchRenorm1d",
    "layernorm_forward",
    "layernorm_backward",
    "groupnorm_forward",
    "groupnorm_backward",
    "instancenorm_forward",
    "instancenorm_backward",
    "GroupNormCache",
]
