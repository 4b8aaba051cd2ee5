"""Tests for layer, group and instance normalization in numpy (helpers.normalization, notebook 12).

Micrograd-style: the same computation with our numpy code and with torch's own
(torch.nn.functional.layer_norm, group_norm, instance_norm, with autograd), compared in float64;
then centred finite differences (helpers.checks.numerical_gradient), the relations between the
three (layer = group with one group, instance = group with one channel per group), the property
that sets them apart from batch norm (an example's output ignores its batch-mates), and the
error messages.
"""

from __future__ import annotations

import re

import numpy as np
import pytest
import torch
import torch.nn.functional as F

from helpers.checks import numerical_gradient, rel_error
from helpers.normalization import (
    GroupNormCache,
    groupnorm_backward,
    groupnorm_forward,
    instancenorm_backward,
    instancenorm_forward,
    layernorm_backward,
    layernorm_forward,
)

TOL = 1e-10  # float64 agreement with torch


def make_case(shape, seed=0):
    """x with a different mean and scale per example and channel; gamma, beta and dout."""
    rng = np.random.default_rng(seed)
    scale_shape = shape[:2] + (1,) * (len(shape) - 2)
    x = rng.normal(size=shape) * rng.uniform(0.5, 3, scale_shape) + rng.normal(size=scale_shape)
    c = shape[1]
    return x, rng.normal(size=c), rng.normal(size=c), rng.normal(size=shape)


def torch_grads(fn, x, gamma, beta, dout):
    """out, dx, dgamma, dbeta of fn(x, gamma, beta) with torch autograd, as numpy arrays."""
    xt, gt, bt = (torch.tensor(a, requires_grad=True) for a in (x, gamma, beta))
    out = fn(xt, gt, bt)
    out.backward(torch.tensor(dout))
    return [t.detach().numpy() for t in (out, xt.grad, gt.grad, bt.grad)]


def assert_all_close(actual, expected, tol=TOL):
    for name, a, e in zip(("out", "dx", "dgamma", "dbeta"), actual, expected):
        assert a.shape == e.shape, f"{name}: shape {a.shape}, expected {e.shape}"
        assert rel_error(a, e) < tol, f"{name}: relative error {rel_error(a, e):.1e}"


def per_channel(v, ndim):
    """A (C,) tensor shaped (C, 1, ...) to broadcast over the positions of a (C, ...) sample."""
    return v.reshape((-1,) + (1,) * (ndim - 2))


# --------------------------------------------------------------------------------------------
# against torch
# --------------------------------------------------------------------------------------------


@pytest.mark.parametrize("shape", [(4, 5), (1, 7), (3, 2, 6), (2, 3, 4, 5), (1, 2, 3, 3)])
def test_layernorm_matches_torch_layer_norm(shape):
    x, gamma, beta, dout = make_case(shape, seed=sum(shape))
    out, cache = layernorm_forward(x, gamma, beta)
    mine = (out, *layernorm_backward(dout, cache))
    # torch.nn.LayerNorm(D) for (N, D); for images, one γ per channel broadcast over (H, W)
    expected = torch_grads(
        lambda xt, gt, bt: F.layer_norm(xt, xt.shape[1:], per_channel(gt, xt.ndim).expand(
            xt.shape[1:]), per_channel(bt, xt.ndim).expand(xt.shape[1:]), eps=1e-5),
        x, gamma, beta, dout)
    assert_all_close(mine, expected)


@pytest.mark.parametrize("shape, groups", [((2, 8, 4, 4), 4), ((3, 6, 5, 2), 1), ((2, 6, 3, 3), 6),
                                           ((5, 8), 2), ((4, 6, 7), 3), ((1, 4, 2, 2), 2)])
@pytest.mark.parametrize("eps", [1e-5, 1e-2])
def test_groupnorm_matches_torch_group_norm(shape, groups, eps):
    x, gamma, beta, dout = make_case(shape, seed=groups)
    out, cache = groupnorm_forward(x, gamma, beta, groups, eps=eps)
    expected = torch_grads(lambda xt, gt, bt: F.group_norm(xt, groups, gt, bt, eps=eps),
                           x, gamma, beta, dout)
    assert_all_close((out, *groupnorm_backward(dout, cache)), expected)


@pytest.mark.parametrize("shape", [(2, 3, 4, 5), (4, 2, 6), (1, 3, 2, 2)])
def test_instancenorm_matches_torch_instance_norm(shape):
    x, gamma, beta, dout = make_case(shape, seed=len(shape))
    out, cache = instancenorm_forward(x, gamma, beta)
    expected = torch_grads(lambda xt, gt, bt: F.instance_norm(xt, weight=gt, bias=bt, eps=1e-5),
                           x, gamma, beta, dout)
    assert_all_close((out, *instancenorm_backward(dout, cache)), expected)


def test_layernorm_of_images_is_torch_group_norm_with_one_group():
    x, gamma, beta, dout = make_case((3, 4, 5, 5), seed=7)
    out, cache = layernorm_forward(x, gamma, beta)
    expected = torch_grads(lambda xt, gt, bt: F.group_norm(xt, 1, gt, bt), x, gamma, beta, dout)
    assert_all_close((out, *layernorm_backward(dout, cache)), expected)


# --------------------------------------------------------------------------------------------
# against finite differences
# --------------------------------------------------------------------------------------------

FORWARDS = {
    "layer (N, D)": ((4, 6), lambda x, g, b: layernorm_forward(x, g, b), layernorm_backward),
    "layer (N, C, H, W)": ((2, 3, 2, 3), lambda x, g, b: layernorm_forward(x, g, b),
                           layernorm_backward),
    "group (N, C, H, W)": ((2, 4, 3, 2), lambda x, g, b: groupnorm_forward(x, g, b, 2),
                           groupnorm_backward),
    "group (N, C)": ((3, 6), lambda x, g, b: groupnorm_forward(x, g, b, 2), groupnorm_backward),
    "instance (N, C, L)": ((2, 3, 4), lambda x, g, b: instancenorm_forward(x, g, b),
                           instancenorm_backward),
}


@pytest.mark.parametrize("name", list(FORWARDS))
def test_backward_matches_finite_differences(name):
    shape, forward, backward = FORWARDS[name]
    x, gamma, beta, dout = make_case(shape, seed=3)
    dx, dgamma, dbeta = backward(dout, forward(x, gamma, beta)[1])
    numeric = [numerical_gradient(lambda v: forward(x, gamma, beta)[0], v, dout)
               for v in (x, gamma, beta)]
    for what, mine, num in zip(("dx", "dgamma", "dbeta"), (dx, dgamma, dbeta), numeric):
        assert rel_error(mine, num) < 1e-6, f"{name}: {what} {rel_error(mine, num):.1e}"


# --------------------------------------------------------------------------------------------
# relations and properties
# --------------------------------------------------------------------------------------------


def test_layer_and_instance_norm_are_group_norm_with_one_and_with_c_groups():
    x, gamma, beta, _ = make_case((3, 6, 4, 4), seed=11)
    layer, instance = layernorm_forward(x, gamma, beta)[0], instancenorm_forward(x, gamma, beta)[0]
    assert rel_error(layer, groupnorm_forward(x, gamma, beta, 1)[0]) < 1e-14
    assert rel_error(instance, groupnorm_forward(x, gamma, beta, 6)[0]) < 1e-14
    assert rel_error(layer, instance) > 0.01  # and they are different normalizations


@pytest.mark.parametrize("groups", [1, 2, 8])
def test_each_group_of_each_example_is_standardized(groups):
    x, *_ = make_case((4, 8, 3, 3), seed=groups)
    out, cache = groupnorm_forward(x, np.ones(8), np.zeros(8), groups)
    grouped = out.reshape(4, groups, -1)
    assert np.abs(grouped.mean(axis=2)).max() < 1e-12
    assert np.abs(grouped.var(axis=2) - 1).max() < 1e-3  # 1 up to eps
    assert isinstance(cache, GroupNormCache) and cache.inv_std.shape == (4, groups)


@pytest.mark.parametrize("forward", [
    lambda x, g, b: layernorm_forward(x, g, b),
    lambda x, g, b: groupnorm_forward(x, g, b, 2),
    lambda x, g, b: instancenorm_forward(x, g, b),
], ids=["layer", "group", "instance"])
def test_an_examples_output_ignores_its_batch_mates(forward):
    x, gamma, beta, _ = make_case((6, 4, 3, 3), seed=5)
    whole = forward(x, gamma, beta)[0]
    alone = np.concatenate([forward(x[i:i + 1], gamma, beta)[0] for i in range(6)])
    assert rel_error(whole, alone) < 1e-14


def test_group_norm_is_invariant_to_scaling_and_shifting_each_example():
    x, gamma, beta, _ = make_case((3, 4, 5), seed=2)
    a = np.array([0.5, 2.0, 10.0])[:, None, None]  # a positive scale and a shift per example
    b = np.array([-1.0, 3.0, 0.2])[:, None, None]
    assert rel_error(groupnorm_forward(a * x + b, gamma, beta, 1, eps=1e-12)[0],
                     groupnorm_forward(x, gamma, beta, 1, eps=1e-12)[0]) < 1e-9


# --------------------------------------------------------------------------------------------
# errors a learner can act on
# --------------------------------------------------------------------------------------------

X4, ONES4, ZEROS4 = make_case((2, 4, 3, 3))[0], np.ones(4), np.zeros(4)

ERRORS = [
    (lambda: layernorm_forward(np.ones(5), np.ones(5), np.zeros(5)),
     "layernorm_forward expects a 2-D input (N, C), a 3-D input (N, C, L) or a 4-D input "
     "(N, C, H, W), got a 1-D input of shape (5,)"),
    (lambda: layernorm_forward(X4, np.ones(5), ZEROS4),
     "layernorm_forward: gamma has shape (5,), expected (4,) to match x's feature axis"),
    (lambda: layernorm_forward(X4, ONES4, np.zeros((4, 1))),
     "layernorm_forward: beta has shape (4, 1), expected (4,) to match x's feature axis"),
    (lambda: layernorm_forward(np.ones((3, 1)), np.ones(1), np.zeros(1)),
     "layernorm_forward: each group of an example holds a single value"),
    (lambda: layernorm_forward(X4, ONES4, ZEROS4, eps=0),
     "layernorm_forward: eps must be a finite positive number"),
    (lambda: groupnorm_forward(X4, ONES4, ZEROS4, 3),
     "groupnorm_forward: num_groups must be a positive integer that divides the 4 channels of "
     "x (shape (2, 4, 3, 3))"),
    (lambda: groupnorm_forward(X4, ONES4, ZEROS4, 0), "got 0"),
    (lambda: groupnorm_forward(X4, ONES4, ZEROS4, 2.0), "got 2.0"),
    (lambda: groupnorm_forward(np.ones((2, 4)), ONES4, ZEROS4, 4),
     "groupnorm_forward: each group of an example holds a single value (x of shape (2, 4), "
     "4 groups)"),
    (lambda: groupnorm_forward(X4, ONES4, ZEROS4, 2, eps=float("nan")),
     "groupnorm_forward: eps must be a finite positive number"),
    (lambda: instancenorm_forward(np.ones((2, 4)), ONES4, ZEROS4),
     "instancenorm_forward expects a 3-D input (N, C, L) or a 4-D input (N, C, H, W), got a "
     "2-D input of shape (2, 4)"),
    (lambda: instancenorm_forward(X4, np.ones(3), ZEROS4),
     "instancenorm_forward: gamma has shape (3,), expected (4,)"),
    (lambda: layernorm_backward(np.ones((2, 4)), layernorm_forward(X4, ONES4, ZEROS4)[1]),
     "layernorm_backward: dout has shape (2, 4), expected (2, 4, 3, 3)"),
    (lambda: groupnorm_backward(np.ones(3), groupnorm_forward(X4, ONES4, ZEROS4, 2)[1]),
     "groupnorm_backward: dout has shape (3,), expected (2, 4, 3, 3)"),
    (lambda: instancenorm_backward(np.ones(3), instancenorm_forward(X4, ONES4, ZEROS4)[1]),
     "instancenorm_backward: dout has shape (3,)"),
]


@pytest.mark.parametrize("call, message", ERRORS, ids=[m[:40] for _, m in ERRORS])
def test_errors_say_what_was_expected(call, message):
    with pytest.raises(ValueError, match=re.escape(message)):
        call()
