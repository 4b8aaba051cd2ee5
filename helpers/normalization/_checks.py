"""Argument checks for batch normalization: errors a learner can act on.

Each check raises a ValueError that names the function, the argument and what was expected,
e.g. "batchnorm_forward: gamma has shape (5,), expected (4,) to match x's feature axis", rather
than letting an IndexError surface deep inside numpy or torch. The public functions call these
once, then an unchecked inner function; the mathematics lives in the other modules.
"""

from __future__ import annotations

import math
import numbers

import numpy as np


def _shape(a) -> tuple[int, ...]:
    return tuple(int(s) for s in a.shape)


def check_input(where: str, x, training: bool, eval_hint: str) -> None:
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


def check_eps(where: str, eps, training: bool) -> None:
    """eps > 0 when normalizing with batch statistics, eps ≥ 0 with running ones; finite."""
    ok = isinstance(eps, numbers.Real) and math.isfinite(eps) and eps >= 0
    if not ok or (training and eps == 0):
        sign = "positive" if training else "non-negative"
        raise ValueError(
            f"{where}: eps must be a finite {sign} number (it keeps √(var + eps) away from 0), "
            f"got {eps!r}"
        )


def check_momentum(where: str, momentum, allow_none: bool = False) -> None:
    """momentum in [0, 1]; None (the cumulative average) only where batches are counted."""
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


def check_running(where: str, training: bool, running_mean, running_var) -> None:
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


def check_vectors(where: str, x, **vectors) -> None:
    """Each per-feature vector (gamma, beta, running buffers) must have shape (D,)."""
    d = int(x.shape[1])
    for name, v in vectors.items():
        if v is not None and tuple(v.shape) != (d,):
            raise ValueError(
                f"{where}: {name} has shape {_shape(v)}, expected ({d},) to match x's feature axis"
            )


def check_arguments(where, x, running_mean, running_var, training, momentum, eps, **vectors):
    """All checks of a functional call (``batchnorm_forward``, ``batch_norm``), in one place."""
    check_input(where, x, training, "training=False to normalize with the running statistics")
    check_eps(where, eps, training)
    check_momentum(where, momentum)
    check_running(where, training, running_mean, running_var)
    check_vectors(where, x, **vectors, running_mean=running_mean, running_var=running_var)


def check_numpy_running(where: str, running_mean, running_var) -> None:
    """numpy running statistics are updated in place, so they must be float arrays."""
    for name, r in (("running_mean", running_mean), ("running_var", running_var)):
        if r is not None and not (isinstance(r, np.ndarray) and r.dtype.kind == "f"):
            raise ValueError(
                f"{where}: {name} must be a float numpy array (it is updated in place), "
                f"got {type(r).__name__}"
            )


def check_dout(where: str, dout, x_shape) -> np.ndarray:
    """dout must have the forward's input and output shape; returns it as a numpy array."""
    dout = np.asarray(dout)
    if dout.shape != tuple(x_shape):
        raise ValueError(
            f"{where}: dout has shape {dout.shape}, expected {tuple(x_shape)}, the shape "
            "of the forward's input and output"
        )
    return dout


def check_module_arguments(name: str, num_features, eps, momentum) -> None:
    """The constructor's arguments: num_features ≥ 1, eps ≥ 0, momentum in [0, 1] or None."""
    if not isinstance(num_features, numbers.Integral) or num_features < 1:
        raise ValueError(f"{name}: num_features must be a positive integer, got {num_features!r}")
    check_eps(name, eps, training=False)
    check_momentum(name, momentum, allow_none=True)


def check_module_input(module, x, use_batch_stats: bool) -> None:
    """A module's input: the dimensions it accepts, num_features on axis 1, enough values."""
    kind = type(module).__name__
    if x.dim() not in module._ndims:
        raise ValueError(f"{kind} expects {module._expects}, got a {x.dim()}-D input of "
                         f"shape {_shape(x)}")
    if x.shape[1] != module.num_features:
        raise ValueError(
            f"{kind}({module.num_features}) expects {module.num_features} features (channels) "
            f"on axis 1, got input of shape {_shape(x)}"
        )
    check_input(kind, x, module.training, "call .eval() to use running stats")
    check_eps(kind, module.eps, use_batch_stats)
