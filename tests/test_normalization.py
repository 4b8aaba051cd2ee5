"""Tests for helpers.normalization: batch normalization in numpy and in torch.

Micrograd-style: the same computation written with our code and with torch's own
(torch.nn.functional.batch_norm, torch.nn.BatchNorm1d/2d, autograd), compared in float64.
Also: numerical gradient checks, torch.autograd.gradcheck, the running-statistics rule,
state-dict round trips, and every error a learner may meet.
"""

from __future__ import annotations

import re

import numpy as np
import pytest
import torch
import torch.nn.functional as F

from helpers.checks import numerical_gradient, rel_error
from helpers.normalization import (
    BatchNorm1d,
    BatchNorm2d,
    BatchNormFunction,
    batch_norm,
    batchnorm_backward,
    batchnorm_backward_steps,
    batchnorm_forward,
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
    out, cache = batchnorm_forward(x, gamma, beta, running_mean, running_var, training,
                                   momentum, eps)
    dx, dgamma, dbeta = backward(dout, cache)
    assert out.shape == dx.shape == x.shape and dgamma.shape == dbeta.shape == (shape[1],)
    for name, actual in [("out", out), ("dx", dx), ("dgamma", dgamma), ("dbeta", dbeta),
                         ("running_mean", running_mean), ("running_var", running_var)]:
        assert rel_error(actual, expected[name]) < TOL, name


@pytest.mark.parametrize("shape, training, momentum, eps", CASES, ids=IDS)
def test_step_by_step_and_simplified_backward_agree(shape, training, momentum, eps):
    x, gamma, beta, rm, rv, dout = make_case(shape, seed=7)
    _, cache = batchnorm_forward(x, gamma, beta, rm, rv, training, momentum, eps)
    for simple, steps in zip(batchnorm_backward(dout, cache), batchnorm_backward_steps(dout, cache),
                             strict=True):
        assert rel_error(simple, steps) < 1e-12


GRAD_CASES = [((4, 3), True, 1e-5), ((2, 2, 2, 3), True, 1e-3), ((3, 2), False, 1e-5),
              ((2, 2, 1, 3), False, 0.1)]


@pytest.mark.parametrize("shape, training, eps", GRAD_CASES)
def test_numpy_gradients_match_numerical_gradients(shape, training, eps):
    x, gamma, beta, rm, rv, dout = make_case(shape, seed=3)
    stats = {} if training else {"running_mean": rm, "running_var": rv}

    def out_of(x_, gamma_, beta_):
        return batchnorm_forward(x_, gamma_, beta_, training=training, eps=eps, **stats)[0]

    _, cache = batchnorm_forward(x, gamma, beta, training=training, eps=eps, **stats)
    dx_num = numerical_gradient(lambda a: out_of(a, gamma, beta), x, dout)
    dgamma_num = numerical_gradient(lambda g: out_of(x, g, beta), gamma, dout)
    dbeta_num = numerical_gradient(lambda b: out_of(x, gamma, b), beta, dout)
    for backward in (batchnorm_backward, batchnorm_backward_steps):
        dx, dgamma, dbeta = backward(dout, cache)
        assert rel_error(dx, dx_num) < 1e-7
        assert rel_error(dgamma, dgamma_num) < 1e-7
        assert rel_error(dbeta, dbeta_num) < 1e-7


def test_numpy_running_statistics_follow_pytorch_rule():
    """running = (1 - momentum)·running + momentum·batch, unbiased var; eval uses them."""
    rng = np.random.default_rng(0)
    gamma, beta = rng.normal(size=3), rng.normal(size=3)
    running_mean, running_var = np.zeros(3), np.ones(3)
    rm_t, rv_t = torch.zeros(3, dtype=torch.float64), torch.ones(3, dtype=torch.float64)
    expected_mean, expected_var = np.zeros(3), np.ones(3)
    for _ in range(4):
        x = rng.normal(size=(6, 3)) * 2 + 5
        batchnorm_forward(x, gamma, beta, running_mean, running_var, momentum=0.2)
        F.batch_norm(torch.tensor(x), rm_t, rv_t, training=True, momentum=0.2)
        expected_mean = 0.8 * expected_mean + 0.2 * x.mean(axis=0)
        expected_var = 0.8 * expected_var + 0.2 * x.var(axis=0, ddof=1)  # unbiased
    for actual in (running_mean, rm_t.numpy()):
        assert rel_error(actual, expected_mean) < 1e-12
    for actual in (running_var, rv_t.numpy()):
        assert rel_error(actual, expected_var) < 1e-12
    x = rng.normal(size=(2, 3))
    before = running_mean.copy(), running_var.copy()
    out, _ = batchnorm_forward(x, gamma, beta, running_mean, running_var, training=False)
    expected_out = gamma * (x - expected_mean) / np.sqrt(expected_var + 1e-5) + beta
    assert rel_error(out, expected_out) < 1e-12
    np.testing.assert_array_equal(running_mean, before[0])  # eval mode left them alone
    np.testing.assert_array_equal(running_var, before[1])


def test_numpy_momentum_one_keeps_only_the_last_batch_and_eval_changes_nothing():
    x = np.random.default_rng(1).normal(size=(5, 2))
    running_mean, running_var = np.full(2, 7.0), np.full(2, 7.0)
    batchnorm_forward(x, np.ones(2), np.zeros(2), running_mean, running_var, momentum=1.0)
    assert rel_error(running_mean, x.mean(axis=0)) < 1e-14
    assert rel_error(running_var, x.var(axis=0, ddof=1)) < 1e-14
    before = running_mean.copy(), running_var.copy()
    batchnorm_forward(x, np.ones(2), np.zeros(2), running_mean, running_var, training=False)
    np.testing.assert_array_equal(running_mean, before[0])
    np.testing.assert_array_equal(running_var, before[1])


# --------------------------------------------------------------------------------------------
# torch: BatchNormFunction and batch_norm
# --------------------------------------------------------------------------------------------


@pytest.mark.parametrize("affine", ["weight and bias", "weight", "bias", "neither"])
def test_batchnorm_function_passes_gradcheck(affine):
    gen = torch.Generator().manual_seed(0)
    x = torch.randn(6, 3, dtype=torch.float64, generator=gen) * 3 + 1
    weight = torch.randn(3, dtype=torch.float64, generator=gen) if "weight" in affine else None
    bias = torch.randn(3, dtype=torch.float64, generator=gen) if "bias" in affine else None
    inputs = tuple(t.requires_grad_() for t in (x, weight, bias) if t is not None)

    def f(*args):
        it = iter(args)
        return BatchNormFunction.apply(next(it), next(it) if weight is not None else None,
                                       next(it) if bias is not None else None, 1e-5)

    assert torch.autograd.gradcheck(f, inputs, eps=1e-6, atol=1e-8)


def test_batchnorm_function_uses_its_own_backward_once():
    x = torch.randn(5, 2, dtype=torch.float64, requires_grad=True)
    w = torch.ones(2, dtype=torch.float64, requires_grad=True)
    out = BatchNormFunction.apply(x, w, None, 1e-5)
    assert "BatchNormFunction" in type(out.grad_fn).__name__
    (dx,) = torch.autograd.grad((out**3).sum(), x, create_graph=True)
    with pytest.raises(RuntimeError):  # once_differentiable: no silent wrong double backward
        dx.sum().backward()


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


# --------------------------------------------------------------------------------------------
# torch: modules against torch.nn
# --------------------------------------------------------------------------------------------

MODULE_CONFIGS = [
    ("1d", (16, 5), {}),
    ("1d", (8, 4, 3), {"momentum": None}),
    ("1d", (8, 5), {"affine": False}),
    ("1d", (8, 5), {"eps": 1e-3, "momentum": 0.3, "track_running_stats": False}),
    ("2d", (4, 3, 5, 5), {}),
    ("2d", (4, 3, 2, 2), {"momentum": None, "affine": False}),
    ("2d", (2, 3, 3, 3), {"track_running_stats": False}),
]
MODULE_IDS = [f"{kind}-{'x'.join(map(str, s))}-{kw or 'defaults'}"
              for kind, s, kw in MODULE_CONFIGS]


def make_modules(kind, num_features, **kwargs):
    ours, theirs = {"1d": (BatchNorm1d, torch.nn.BatchNorm1d),
                    "2d": (BatchNorm2d, torch.nn.BatchNorm2d)}[kind]
    torch.manual_seed(0)
    return ours(num_features, **kwargs).double(), theirs(num_features, **kwargs).double()


def assert_same_state(ours, theirs):
    for name in ("weight", "bias", "running_mean", "running_var", "num_batches_tracked"):
        a, b = getattr(ours, name), getattr(theirs, name)
        assert (a is None) == (b is None), name
        if a is not None:
            assert a.dtype == b.dtype and rel_error(a, b) < TOL, name


@pytest.mark.parametrize("kind, shape, kwargs", MODULE_CONFIGS, ids=MODULE_IDS)
def test_module_trains_and_evaluates_like_torch_nn(kind, shape, kwargs):
    ours, theirs = make_modules(kind, shape[1], **kwargs)
    assert_same_state(ours, theirs)
    optimizers = [torch.optim.SGD(m.parameters(), lr=0.1) for m in (ours, theirs) if m.affine]
    gen = torch.Generator().manual_seed(1)
    for _ in range(3):
        x = torch.randn(shape, dtype=torch.float64, generator=gen) * 2 + 1
        probe = torch.randn(shape, dtype=torch.float64, generator=gen)
        grads = []
        for module in (ours, theirs):
            xi = x.clone().requires_grad_()
            out = module(xi)
            (out * probe).sum().backward()
            grads.append((out, xi.grad))
        assert rel_error(grads[0][0], grads[1][0]) < TOL  # outputs
        assert rel_error(grads[0][1], grads[1][1]) < TOL  # input gradients
        if ours.affine:
            assert rel_error(ours.weight.grad, theirs.weight.grad) < TOL
            assert rel_error(ours.bias.grad, theirs.bias.grad) < TOL
            for opt in optimizers:
                opt.step()
                opt.zero_grad()
        assert_same_state(ours, theirs)
    ours.eval()
    theirs.eval()
    x = torch.randn(shape, dtype=torch.float64, generator=gen)
    with torch.no_grad():
        assert rel_error(ours(x), theirs(x)) < TOL
    assert_same_state(ours, theirs)  # eval mode changed nothing
    if ours.track_running_stats:
        assert int(ours.num_batches_tracked) == 3


def test_module_float32_matches_torch_nn():
    ours, theirs = BatchNorm2d(4).float(), torch.nn.BatchNorm2d(4)
    x = torch.randn(8, 4, 3, 3) * 5 + 3
    assert rel_error(ours(x), theirs(x)) < 1e-4
    assert torch.allclose(ours.running_var, theirs.running_var, rtol=1e-5)


def _errors_against_float64(module, x64, probe):
    """Relative errors of a float32 module's out, dx and dweight, float64 copy as the truth."""
    truth = torch.nn.BatchNorm1d(x64.shape[1]).double()
    truth.load_state_dict(module.state_dict())
    results = []
    for m, x in ((module, x64.float()), (truth, x64.clone())):
        x.requires_grad_()
        out = m(x)
        (out * probe.to(x.dtype)).sum().backward()
        results.append([t.detach().double() for t in (out, x.grad, m.weight.grad)])
    return [float((a - b).abs().max() / b.abs().max()) for a, b in zip(*results, strict=True)]


@pytest.mark.parametrize("offset", [0.0, 100.0])
def test_module_float32_is_as_accurate_as_torch_nn(offset):
    """The regrouped formulas lose no accuracy, even when |mean| >> std."""
    gen = torch.Generator().manual_seed(2)
    x64 = torch.randn(128, 16, dtype=torch.float64, generator=gen) + offset
    probe = torch.randn(128, 16, dtype=torch.float64, generator=gen)
    ours, theirs = BatchNorm1d(16), torch.nn.BatchNorm1d(16)
    with torch.no_grad():
        ours.weight.uniform_(0.5, 2.0, generator=gen)
        theirs.weight.copy_(ours.weight)
    for e_ours, e_torch in zip(_errors_against_float64(ours, x64, probe),
                               _errors_against_float64(theirs, x64, probe), strict=True):
        assert e_ours <= 2 * e_torch + 1e-7


def test_module_initial_state_repr_and_resets():
    m = BatchNorm1d(3, eps=1e-3, momentum=None)
    expected = "BatchNorm1d(3, eps=0.001, momentum=None, affine=True, track_running_stats=True)"
    assert repr(m) == expected
    assert m.num_batches_tracked.dtype == torch.int64
    m(torch.randn(4, 3) * 3 + 2)
    with torch.no_grad():
        m.weight.fill_(2.0)
    m.reset_running_stats()
    assert m.running_mean.eq(0).all() and m.running_var.eq(1).all() and m.num_batches_tracked == 0
    assert m.weight.eq(2).all()
    m.reset_parameters()
    assert m.weight.eq(1).all() and m.bias.eq(0).all()
    bare = BatchNorm2d(3, affine=False, track_running_stats=False)
    assert bare.weight is None and bare.bias is None and bare.running_mean is None
    assert list(bare.parameters()) == [] and bare.state_dict() == {}
    bare.reset_parameters()  # nothing to reset, no error


@pytest.mark.parametrize("kind, kwargs", [("1d", {}), ("2d", {}), ("1d", {"affine": False}),
                                          ("2d", {"track_running_stats": False})])
def test_state_dict_round_trips_with_torch_nn(kind, kwargs):
    shape = (6, 3) if kind == "1d" else (4, 3, 2, 2)
    ours, theirs = make_modules(kind, 3, **kwargs)
    assert list(ours.state_dict()) == list(theirs.state_dict())
    for source, target in ((ours, theirs), (theirs, ours)):
        for _ in range(2):
            source(torch.randn(shape, dtype=torch.float64) * 3 + 1)
        if source.affine:
            with torch.no_grad():
                source.weight.uniform_(0.5, 2.0)
                source.bias.normal_()
        target.load_state_dict(source.state_dict(), strict=True)
        assert_same_state(target, source)
        source.eval()
        target.eval()
        x = torch.randn(shape, dtype=torch.float64)
        with torch.no_grad():
            assert rel_error(target(x), source(x)) < TOL
        source.train()
        target.train()


# --------------------------------------------------------------------------------------------
# Errors a learner can act on
# --------------------------------------------------------------------------------------------

ONES, ZEROS = np.ones(4), np.zeros(4)
X = np.random.default_rng(0).normal(size=(8, 4))
XT = torch.tensor(X)
W4 = torch.ones(4, dtype=torch.float64)


def _forward(**overrides):
    args = {"x": X, "gamma": ONES, "beta": ZEROS} | overrides
    return lambda: batchnorm_forward(**args)


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
    (lambda: batchnorm_backward(np.ones((8, 5)), batchnorm_forward(X, ONES, ZEROS)[1]),
     "batchnorm_backward: dout has shape (8, 5), expected (8, 4)"),
    (lambda: batchnorm_backward_steps(np.ones(4), batchnorm_forward(X, ONES, ZEROS)[1]),
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
