"""Tests for helpers.normalization: the numpy reference, batch_norm, and the shared pieces.

Micrograd-style: the same computation written with our code and with torch's own
(torch.nn.functional.batch_norm, autograd), compared in float64. Also: numerical gradient
checks, the running-statistics rule (numpy and torch), the affine map of eval mode, and the cache
that notebook 05's functions share with the package. The modules: test_batchnorm_torch.py;
the error messages: test_batchnorm_errors.py; batch renorm: test_batch_renorm.py.
"""

from __future__ import annotations

import numpy as np
import pytest
import torch
import torch.nn.functional as F

from helpers.checks import numerical_gradient, rel_error
from helpers.normalization import (
    BatchNormCache,
    batch_norm,
    batchnorm_backward,
    batchnorm_backward_steps,
    batchnorm_forward,
    scale_and_shift,
    update_running_stats_,
)

TOL = 1e-10  # float64 agreement with torch

# (x shape, training, momentum, eps)
CASES = [
    ((8, 5), True, 0.1, 1e-5),
    ((3, 4), True, 0.5, 1e-3),
    ((2, 3, 4, 5), True, 0.1, 1e-5),
    ((1, 2, 3, 3), True, 1.0, 1e-1),  # a single image still has 9 values per channel
    ((6, 3, 4), True, 0.0, 1e-5),  # (N, C, L); momentum 0 leaves the running stats alone
    ((5, 4), False, 0.1, 1e-5),
    ((1, 4), False, 0.1, 1e-5),  # eval mode works on a single example
    ((3, 2, 2, 3), False, 0.3, 1e-2),
]
IDS = [f"{'train' if t else 'eval'}-{'x'.join(map(str, s))}-m{m}-eps{e:g}" for s, t, m, e in CASES]


def make_case(shape, seed):
    """x with a different mean and scale per feature; gamma, beta, running stats and dout."""
    rng = np.random.default_rng(seed)
    c = shape[1]
    per_feature = (1, c) + (1,) * (len(shape) - 2)
    x = rng.normal(size=shape) * rng.uniform(0.5, 3, per_feature) + rng.normal(size=per_feature)
    gamma, beta = rng.normal(size=c), rng.normal(size=c)
    running_mean, running_var = rng.normal(size=c), rng.uniform(0.5, 2.0, size=c)
    return x, gamma, beta, running_mean, running_var, rng.normal(size=shape)


def torch_reference(x, gamma, beta, running_mean, running_var, dout, training, momentum, eps):
    """torch.nn.functional.batch_norm with autograd; returns numpy arrays."""
    xt, gt, bt = (torch.tensor(a, requires_grad=True) for a in (x, gamma, beta))
    rm, rv = torch.tensor(running_mean), torch.tensor(running_var)
    out = F.batch_norm(xt, rm, rv, gt, bt, training=training, momentum=momentum, eps=eps)
    out.backward(torch.tensor(dout))
    return {"out": out.detach().numpy(), "dx": xt.grad.numpy(), "dgamma": gt.grad.numpy(),
            "dbeta": bt.grad.numpy(), "running_mean": rm.numpy(), "running_var": rv.numpy()}


# --------------------------------------------------------------------------------------------
# numpy reference
# --------------------------------------------------------------------------------------------


@pytest.mark.parametrize("shape, training, momentum, eps", CASES, ids=IDS)
@pytest.mark.parametrize("backward", [batchnorm_backward, batchnorm_backward_steps])
def test_numpy_forward_and_backward_match_torch(shape, training, momentum, eps, backward):
    x, gamma, beta, rm, rv, dout = make_case(shape, seed=len(shape) * 100 + shape[0])
    expected = torch_reference(x, gamma, beta, rm, rv, dout, training, momentum, eps)
    running_mean, running_var = rm.copy(), rv.copy()
    out, cache = batchnorm_forward(x, running_mean, running_var, gamma, beta, training,
                                   momentum, eps)
    dx, dgamma, dbeta = backward(dout, cache)
    assert out.shape == dx.shape == x.shape and dgamma.shape == dbeta.shape == (shape[1],)
    for name, actual in [("out", out), ("dx", dx), ("dgamma", dgamma), ("dbeta", dbeta),
                         ("running_mean", running_mean), ("running_var", running_var)]:
        assert rel_error(actual, expected[name]) < TOL, name


@pytest.mark.parametrize("shape, training, momentum, eps", CASES, ids=IDS)
def test_step_by_step_and_simplified_backward_agree(shape, training, momentum, eps):
    x, gamma, beta, rm, rv, dout = make_case(shape, seed=7)
    _, cache = batchnorm_forward(x, rm, rv, gamma, beta, training, momentum, eps)
    for simple, steps in zip(batchnorm_backward(dout, cache), batchnorm_backward_steps(dout, cache),
                             strict=True):
        assert rel_error(simple, steps) < 1e-12


GRAD_CASES = [((4, 3), True, 1e-5), ((2, 2, 2, 3), True, 1e-3), ((3, 2), False, 1e-5),
              ((2, 2, 1, 3), False, 0.1)]


@pytest.mark.parametrize("shape, training, eps", GRAD_CASES)
def test_numpy_gradients_match_numerical_gradients(shape, training, eps):
    x, gamma, beta, rm, rv, dout = make_case(shape, seed=3)
    stats = (None, None) if training else (rm, rv)

    def out_of(x_, gamma_, beta_):
        return batchnorm_forward(x_, *stats, gamma_, beta_, training=training, eps=eps)[0]

    _, cache = batchnorm_forward(x, *stats, gamma, beta, training=training, eps=eps)
    dx_num = numerical_gradient(lambda a: out_of(a, gamma, beta), x, dout)
    dgamma_num = numerical_gradient(lambda g: out_of(x, g, beta), gamma, dout)
    dbeta_num = numerical_gradient(lambda b: out_of(x, gamma, b), beta, dout)
    for backward in (batchnorm_backward, batchnorm_backward_steps):
        dx, dgamma, dbeta = backward(dout, cache)
        assert rel_error(dx, dx_num) < 1e-7
        assert rel_error(dgamma, dgamma_num) < 1e-7
        assert rel_error(dbeta, dbeta_num) < 1e-7


def test_cache_has_the_names_notebook_05_uses():
    """Notebook 05's batchnorm_forward builds the same BatchNormCache, field for field."""
    x, gamma, beta, _, _, dout = make_case((6, 3), seed=5)
    out, cache = batchnorm_forward(x, None, None, gamma, beta, training=True)
    assert isinstance(cache, BatchNormCache) and cache.training
    assert cache._fields == ("x", "x_hat", "mu", "var", "gamma", "eps", "training")
    mu, var = x.mean(axis=0), x.var(axis=0)
    x_hat = (x - mu) / np.sqrt(var + 1e-5)
    notebook_cache = BatchNormCache(x, x_hat, mu, var, gamma, 1e-5, True)  # as notebook 05's
    for a, b in zip(batchnorm_backward(dout, notebook_cache), batchnorm_backward(dout, cache),
                    strict=True):
        assert rel_error(a, b) < 1e-12


def test_numpy_running_statistics_follow_pytorch_rule():
    """running = (1 - momentum)·running + momentum·batch, unbiased var; eval uses them."""
    rng = np.random.default_rng(0)
    gamma, beta = rng.normal(size=3), rng.normal(size=3)
    running_mean, running_var = np.zeros(3), np.ones(3)
    rm_t, rv_t = torch.zeros(3, dtype=torch.float64), torch.ones(3, dtype=torch.float64)
    expected_mean, expected_var = np.zeros(3), np.ones(3)
    for _ in range(4):
        x = rng.normal(size=(6, 3)) * 2 + 5
        batchnorm_forward(x, running_mean, running_var, gamma, beta, training=True, momentum=0.2)
        F.batch_norm(torch.tensor(x), rm_t, rv_t, training=True, momentum=0.2)
        expected_mean = 0.8 * expected_mean + 0.2 * x.mean(axis=0)
        expected_var = 0.8 * expected_var + 0.2 * x.var(axis=0, ddof=1)  # unbiased
    for actual in (running_mean, rm_t.numpy()):
        assert rel_error(actual, expected_mean) < 1e-12
    for actual in (running_var, rv_t.numpy()):
        assert rel_error(actual, expected_var) < 1e-12
    x = rng.normal(size=(2, 3))
    before = running_mean.copy(), running_var.copy()
    out, _ = batchnorm_forward(x, running_mean, running_var, gamma, beta)  # training=False
    expected_out = gamma * (x - expected_mean) / np.sqrt(expected_var + 1e-5) + beta
    assert rel_error(out, expected_out) < 1e-12
    np.testing.assert_array_equal(running_mean, before[0])  # eval mode left them alone
    np.testing.assert_array_equal(running_var, before[1])


def test_numpy_momentum_one_keeps_only_the_last_batch_and_eval_changes_nothing():
    x = np.random.default_rng(1).normal(size=(5, 2))
    running_mean, running_var = np.full(2, 7.0), np.full(2, 7.0)
    batchnorm_forward(x, running_mean, running_var, np.ones(2), np.zeros(2), training=True,
                      momentum=1.0)
    assert rel_error(running_mean, x.mean(axis=0)) < 1e-14
    assert rel_error(running_var, x.var(axis=0, ddof=1)) < 1e-14
    before = running_mean.copy(), running_var.copy()
    batchnorm_forward(x, running_mean, running_var, np.ones(2), np.zeros(2), training=False)
    np.testing.assert_array_equal(running_mean, before[0])
    np.testing.assert_array_equal(running_var, before[1])


# --------------------------------------------------------------------------------------------
# The shared pieces: update_running_stats_ and scale_and_shift
# --------------------------------------------------------------------------------------------


@pytest.mark.parametrize("shape, momentum", [((6, 3), 0.1), ((4, 3, 5), 0.3), ((2, 3, 2, 2), 1.0),
                                             ((5, 3), 0.0)])
def test_update_running_stats_matches_torch_nn_buffers_in_numpy_and_torch(shape, momentum):
    rng = np.random.default_rng(4)
    bn = (torch.nn.BatchNorm1d if len(shape) < 4 else torch.nn.BatchNorm2d)(3, momentum=momentum)
    bn = bn.double()
    mean_np, var_np = np.zeros(3), np.ones(3)
    mean_t, var_t = torch.zeros(3, dtype=torch.float64), torch.ones(3, dtype=torch.float64)
    axes = (0, *range(2, len(shape)))
    for _ in range(3):
        x = rng.normal(size=shape) * 2 + 1
        bn(torch.tensor(x))
        mu, var, m = x.mean(axis=axes), x.var(axis=axes), x.size // shape[1]
        update_running_stats_(mean_np, var_np, mu, var, m, momentum)
        update_running_stats_(mean_t, var_t, torch.tensor(mu), torch.tensor(var), m, momentum)
    for ours in ((mean_np, var_np), (mean_t, var_t)):
        assert rel_error(ours[0], bn.running_mean) < 1e-12
        assert rel_error(ours[1], bn.running_var) < 1e-12


def test_update_running_stats_keeps_the_graph_out():
    running_mean, running_var = torch.zeros(2), torch.ones(2)
    mu = torch.randn(2, requires_grad=True)
    update_running_stats_(running_mean, running_var, mu * 2, mu.detach() ** 2, 4, 0.5)
    assert not running_mean.requires_grad and running_mean.grad_fn is None


@pytest.mark.parametrize("affine", [True, False])
def test_scale_and_shift_is_eval_mode_batch_norm(affine):
    gen = torch.Generator().manual_seed(0)
    x = torch.randn(7, 4, dtype=torch.float64, generator=gen)
    mean = torch.randn(4, dtype=torch.float64, generator=gen)
    var = torch.rand(4, dtype=torch.float64, generator=gen) + 0.5
    weight = torch.rand(4, dtype=torch.float64, generator=gen) + 0.5 if affine else None
    bias = torch.randn(4, dtype=torch.float64, generator=gen) if affine else None
    scale, shift = scale_and_shift(mean, var, weight, bias, 1e-3)
    assert scale.shape == shift.shape == (4,)
    expected = F.batch_norm(x, mean, var, weight, bias, training=False, eps=1e-3)
    assert rel_error(x * scale + shift, expected) < TOL
    gamma = 1.0 if weight is None else weight
    assert rel_error(scale, gamma / torch.sqrt(var + 1e-3)) < TOL


# --------------------------------------------------------------------------------------------
# torch: batch_norm against torch.nn.functional.batch_norm
# --------------------------------------------------------------------------------------------


@pytest.mark.parametrize("shape, training, momentum, eps", CASES, ids=IDS)
@pytest.mark.parametrize("affine", [True, False])
def test_torch_batch_norm_matches_torch_functional(shape, training, momentum, eps, affine):
    x, gamma, beta, rm, rv, dout = make_case(shape, seed=11)
    if not affine:
        gamma, beta = np.ones_like(gamma), np.zeros_like(beta)  # what weight=None means
    expected = torch_reference(x, gamma, beta, rm, rv, dout, training, momentum, eps)
    xt = torch.tensor(x, requires_grad=True)
    wt, bt = (torch.tensor(a, requires_grad=True) if affine else None for a in (gamma, beta))
    running_mean, running_var = torch.tensor(rm), torch.tensor(rv)
    out = batch_norm(xt, running_mean, running_var, wt, bt, training, momentum, eps)
    out.backward(torch.tensor(dout))
    actual = {"out": out, "dx": xt.grad, "running_mean": running_mean, "running_var": running_var}
    if affine:
        actual.update(dgamma=wt.grad, dbeta=bt.grad)
    for name, value in actual.items():
        assert value.dtype == torch.float64 and rel_error(value, expected[name]) < TOL, name
    assert out.is_contiguous()  # so that a later .view(N, -1) works, as with torch's output


def test_torch_batch_norm_without_running_stats_uses_batch_stats():
    x = torch.randn(4, 3, 2, 2, dtype=torch.float64)
    expected = F.batch_norm(x, None, None, training=True)
    assert rel_error(batch_norm(x, None, None, training=True), expected) < TOL


def test_torch_batch_norm_defaults_to_eval_mode_like_torch():
    x = torch.randn(3, 2, dtype=torch.float64)
    rm, rv = torch.randn(2, dtype=torch.float64), torch.rand(2, dtype=torch.float64) + 0.5
    assert rel_error(batch_norm(x, rm, rv), F.batch_norm(x, rm, rv)) < TOL


def test_layout_is_public():
    """The layout functions are public: helpers.inference and helpers.dashboard use them."""
    from helpers.normalization import layout

    assert set(layout.__all__) == {"reduce_axes", "per_feature", "values_per_feature"}
    x = np.zeros((8, 3, 5, 5))
    assert layout.reduce_axes(x) == (0, 2, 3) and layout.values_per_feature(x) == 200
    assert layout.per_feature(np.ones(3), x).shape == (1, 3, 1, 1)
