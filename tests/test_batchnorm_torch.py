"""Tests for helpers.normalization's torch side: BatchNormFunction, batch_norm and the modules.

The Function against torch.autograd.gradcheck (with the statistics recomputed from x, so that
the check covers the paths through mu and var) and against notebook 05's code; BatchNorm1d and
BatchNorm2d against torch.nn's (outputs, gradients, running statistics, num_batches_tracked,
float32 accuracy, state dicts loading both ways), compared in float64.
"""

from __future__ import annotations

import ast
import inspect
import textwrap
from pathlib import Path

import nbformat
import pytest
import torch
import torch.nn.functional as F

from helpers.checks import rel_error
from helpers.normalization import (
    BatchNorm1d,
    BatchNorm2d,
    BatchNormFunction,
    batch_norm,
    batch_statistics,
)
from helpers.normalization.layout import per_feature

TOL = 1e-10  # float64 agreement with torch
NOTEBOOK_05 = Path(__file__).resolve().parent.parent / "notebooks" / "05_batchnorm_layer.ipynb"


# --------------------------------------------------------------------------------------------
# BatchNormFunction and batch_statistics: the hand-derived backward
# --------------------------------------------------------------------------------------------


def through_function(x, weight, bias, eps=1e-5):
    """BatchNormFunction with x's own statistics, recomputed on every call (as batch_norm does)."""
    return BatchNormFunction.apply(x, *batch_statistics(x), per_feature(weight, x),
                                   per_feature(bias, x), eps)


@pytest.mark.parametrize("shape", [(6, 3), (4, 3, 5), (2, 3, 4, 4)])
def test_batchnorm_function_passes_gradcheck_through_the_statistics(shape):
    """gradcheck perturbs x, so mu and var change too: dx must hold their paths."""
    gen = torch.Generator().manual_seed(0)
    x = torch.randn(shape, dtype=torch.float64, generator=gen) * 3 + 1
    weight = torch.randn(3, dtype=torch.float64, generator=gen)
    bias = torch.randn(3, dtype=torch.float64, generator=gen)
    inputs = tuple(t.requires_grad_() for t in (x, weight, bias))
    assert torch.autograd.gradcheck(through_function, inputs, eps=1e-6, atol=1e-8)


@pytest.mark.parametrize("affine", ["weight and bias", "weight", "bias", "neither"])
def test_batch_norm_passes_gradcheck_with_or_without_weight_and_bias(affine):
    gen = torch.Generator().manual_seed(1)
    x = torch.randn(6, 3, dtype=torch.float64, generator=gen) * 3 + 1
    weight = torch.randn(3, dtype=torch.float64, generator=gen) if "weight" in affine else None
    bias = torch.randn(3, dtype=torch.float64, generator=gen) if "bias" in affine else None
    inputs = tuple(t.requires_grad_() for t in (x, weight, bias) if t is not None)

    def f(*args):
        it = iter(args)
        return batch_norm(next(it), None, None, next(it) if weight is not None else None,
                          next(it) if bias is not None else None, training=True)

    assert torch.autograd.gradcheck(f, inputs, eps=1e-6, atol=1e-8)


def test_batchnorm_function_returns_one_output_and_uses_its_own_backward_once():
    x = torch.randn(5, 2, dtype=torch.float64, requires_grad=True)
    w = torch.ones(2, dtype=torch.float64, requires_grad=True)
    out = through_function(x, w, torch.zeros(2, dtype=torch.float64))
    assert isinstance(out, torch.Tensor) and out.shape == x.shape
    assert "BatchNormFunction" in type(out.grad_fn).__name__
    (dx,) = torch.autograd.grad((out**3).sum(), x, create_graph=True)
    with pytest.raises(RuntimeError):  # once_differentiable: no silent wrong double backward
        dx.sum().backward()


@pytest.mark.parametrize("shape", [(6, 3), (4, 3, 5), (2, 3, 4, 4)])
def test_batch_statistics_are_the_biased_ones_without_a_graph(shape):
    x = (torch.randn(shape, dtype=torch.float64) * 2 + 100).requires_grad_()
    mu, var = batch_statistics(x)
    dims = (0, *range(2, len(shape)))
    assert mu.shape == var.shape == (1, 3) + (1,) * (len(shape) - 2)
    assert not mu.requires_grad and not var.requires_grad
    assert rel_error(mu, x.mean(dim=dims, keepdim=True)) < TOL
    assert rel_error(var, x.var(dim=dims, unbiased=False, keepdim=True)) < TOL


@pytest.mark.parametrize("shape", [(6, 3), (4, 3, 5), (2, 3, 4, 4)])
def test_batchnorm_function_matches_torch_in_every_layout(shape):
    x = torch.randn(shape, dtype=torch.float64, requires_grad=True)
    w = (torch.rand(3, dtype=torch.float64) + 0.5).requires_grad_()
    b = torch.randn(3, dtype=torch.float64, requires_grad=True)
    dout = torch.randn(shape, dtype=torch.float64)
    ours = through_function(x, w, b)
    theirs = F.batch_norm(x, None, None, w, b, training=True)
    assert rel_error(ours, theirs) < TOL
    for a, c in zip(torch.autograd.grad(ours, (x, w, b), dout),
                    torch.autograd.grad(theirs, (x, w, b), dout), strict=True):
        assert rel_error(a, c) < TOL


def _notebook_definition(name):
    """The code cell of notebook 05 that defines ``name`` (a class or a function), parsed."""
    for cell in nbformat.read(NOTEBOOK_05, as_version=4).cells:
        if cell.cell_type != "code":
            continue
        for node in ast.parse(cell.source).body:
            if isinstance(node, (ast.ClassDef, ast.FunctionDef)) and node.name == name:
                return node
    raise AssertionError(f"notebook 05 defines no {name}")


def _without_docstrings(node):
    """The code of a definition, docstrings (which differ in length) left out."""
    for n in ast.walk(node):
        body = getattr(n, "body", None)
        if (isinstance(n, (ast.ClassDef, ast.FunctionDef)) and body
                and isinstance(body[0], ast.Expr) and isinstance(body[0].value, ast.Constant)):
            n.body = body[1:]
    return ast.dump(node)


def _package_definition(obj, leave_out=()):
    node = ast.parse(textwrap.dedent(inspect.getsource(obj))).body[0]
    node.body = [st for st in node.body if not any(word in ast.unparse(st) for word in leave_out)]
    return node


@pytest.mark.parametrize("obj, leave_out", [
    (BatchNormFunction, ()),
    (batch_statistics, ()),
    # the package's batch_norm also checks its arguments
    (batch_norm, ("check_arguments",)),
])
def test_notebook_05_writes_the_same_code_as_the_package(obj, leave_out):
    """A learner who finishes notebook 05 finds what they wrote, under the same name."""
    notebook = _without_docstrings(_notebook_definition(obj.__name__))
    assert notebook == _without_docstrings(_package_definition(obj, leave_out))


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
    """Two-pass statistics (mean, then mean of (x - mu)²) lose no accuracy, at |mean| >> std."""
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


