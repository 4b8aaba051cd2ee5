"""Every error a learner may meet in helpers.normalization, with the message it must read.

Errors a learner can act on: which function, which argument, what shape or value was expected.
"""

from __future__ import annotations

import re

import numpy as np
import pytest
import torch

from helpers.normalization import (
    BatchNorm1d,
    BatchNorm2d,
    batch_norm,
    batchnorm_backward,
    batchnorm_backward_steps,
    batchnorm_forward,
)

ONES, ZEROS = np.ones(4), np.zeros(4)
X = np.random.default_rng(0).normal(size=(8, 4))
XT = torch.tensor(X)
W4 = torch.ones(4, dtype=torch.float64)


def _forward(**overrides):
    args = {"x": X, "running_mean": None, "running_var": None, "gamma": ONES, "beta": ZEROS,
            "training": True} | overrides
    return lambda: batchnorm_forward(**args)


def _cache():
    return batchnorm_forward(X, None, None, ONES, ZEROS, training=True)[1]


def _functional(**overrides):
    args = {"x": XT, "running_mean": None, "running_var": None, "weight": W4, "training": True}
    args |= overrides
    return lambda: batch_norm(**args)


ERRORS = [
    (_forward(x=np.ones((1, 4))), "batchnorm_forward: Expected more than 1 value per channel "
     "when training, got input of shape (1, 4). With a single value per feature"),
    (_forward(x=np.ones((1, 4, 1, 1))), "got input of shape (1, 4, 1, 1)"),
    (_forward(gamma=np.ones(5)),
     "batchnorm_forward: gamma has shape (5,), expected (4,) to match x's feature axis"),
    (_forward(beta=np.zeros((4, 1))), "beta has shape (4, 1), expected (4,)"),
    (_forward(running_mean=np.zeros(5), running_var=np.ones(4)), "running_mean has shape (5,)"),
    (_forward(x=np.ones(4)), "batchnorm_forward expects a 2-D input (N, D), a 3-D input (N, C, L)"
     " or a 4-D input (N, C, H, W), got a 1-D input of shape (4,)"),
    (_forward(x=np.ones((2, 4, 1, 1, 1))), "got a 5-D input"),
    (_forward(eps=-1e-5), "batchnorm_forward: eps must be a finite positive number"),
    (_forward(eps=float("nan")), "eps must be a finite positive number"),
    (_forward(eps=float("inf")), "eps must be a finite positive number"),
    (_forward(eps=0.0), "eps must be a finite positive number"),
    (_forward(eps=-1.0, training=False, running_mean=ZEROS, running_var=np.ones(4)),
     "eps must be a finite non-negative number"),
    (_forward(momentum=1.5), "batchnorm_forward: momentum must be a number in [0, 1]"),
    (_forward(momentum=-0.1), "momentum must be a number in [0, 1]"),
    (_forward(momentum=float("nan")), "momentum must be a number in [0, 1]"),
    (_forward(momentum=None), "momentum=None (a cumulative average) needs a count of batches"),
    (_forward(training=False), "training=False normalizes with running_mean and running_var"),
    (_forward(running_mean=np.zeros(4)),
     "running_mean and running_var go together; got running_mean but running_var is None"),
    (_forward(running_var=np.ones(4)), "got running_var but running_mean is None"),
    (_forward(running_mean=[0.0] * 4, running_var=np.ones(4)),
     "running_mean must be a float numpy array (it is updated in place), got list"),
    (_forward(running_mean=np.zeros(4), running_var=np.ones(4, dtype=int)),
     "running_var must be a float numpy array"),
    (lambda: batchnorm_backward(np.ones((8, 5)), _cache()),
     "batchnorm_backward: dout has shape (8, 5), expected (8, 4)"),
    (lambda: batchnorm_backward_steps(np.ones(4), _cache()),
     "batchnorm_backward_steps: dout has shape (4,)"),
    (_functional(x=torch.ones(1, 4)),
     "batch_norm: Expected more than 1 value per channel when training, got input of shape (1, 4)"),
    (_functional(weight=torch.ones(5)),
     "batch_norm: weight has shape (5,), expected (4,) to match x's feature axis"),
    (_functional(running_mean=torch.zeros(4), running_var=torch.ones(3)),
     "running_var has shape (3,)"),
    (_functional(eps=0), "batch_norm: eps must be a finite positive number"),
    (_functional(momentum=2), "batch_norm: momentum must be a number in [0, 1]"),
    (_functional(training=False), "training=False normalizes with running_mean and running_var"),
    (_functional(x=torch.ones(2, 4, 1, 1, 1)), "batch_norm expects a 2-D input"),
    (lambda: BatchNorm1d(4)(torch.ones(2, 4, 3, 3)), "BatchNorm1d expects a 2-D input (N, C) or "
     "a 3-D input (N, C, L) (for images use BatchNorm2d), got a 4-D input of shape (2, 4, 3, 3)"),
    (lambda: BatchNorm2d(4)(torch.ones(8, 4)), "BatchNorm2d expects a 4-D input (N, C, H, W) "
     "(for (N, C) features use BatchNorm1d), got a 2-D input of shape (8, 4)"),
    (lambda: BatchNorm1d(4)(torch.ones(8, 5)),
     "BatchNorm1d(4) expects 4 features (channels) on axis 1, got input of shape (8, 5)"),
    (lambda: BatchNorm1d(4)(torch.ones(1, 4)), "BatchNorm1d: Expected more than 1 value per "
     "channel when training, got input of shape (1, 4)"),
    (lambda: BatchNorm2d(3)(torch.ones(1, 3, 1, 1)), "call .eval() to use running stats"),
    (lambda: BatchNorm1d(4, momentum=1.5), "BatchNorm1d: momentum must be a number in [0, 1]"),
    (lambda: BatchNorm2d(4, eps=-1.0), "BatchNorm2d: eps must be a finite non-negative number"),
    (lambda: BatchNorm2d(4, eps=float("nan")), "eps must be a finite non-negative number"),
    (lambda: BatchNorm1d(0), "BatchNorm1d: num_features must be a positive integer, got 0"),
    (lambda: BatchNorm1d(2.5), "num_features must be a positive integer, got 2.5"),
]


@pytest.mark.parametrize("call, message", ERRORS, ids=[m[:60] for _, m in ERRORS])
def test_errors_are_helpful_value_errors(call, message):
    with pytest.raises(ValueError, match=re.escape(message)):
        call()


def test_failed_training_step_leaves_the_module_untouched():
    m = BatchNorm1d(4)
    with pytest.raises(ValueError):
        m(torch.ones(1, 4))
    m.eps = 0.0
    with pytest.raises(ValueError, match="eps must be a finite positive number"):
        m(torch.randn(3, 4))
    assert int(m.num_batches_tracked) == 0
    m.eps = 1e-5
    m.eval()
    assert m(torch.ones(1, 4)).shape == (1, 4)  # eval mode: a single example is fine
