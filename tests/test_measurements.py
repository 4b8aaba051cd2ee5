"""helpers.measurements: layer inputs, errors, saturation, layer statistics, shift, drift."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from torch import nn

from helpers.measurements import (
    histogram_shift,
    layer_errors,
    layer_inputs,
    layer_stats,
    median_drift,
    quantiles,
    saturated_fraction,
    weight_norms,
)
from helpers.models import linear_layers, make_mlp


@pytest.fixture
def x():
    return torch.randn(50, 6, generator=torch.Generator().manual_seed(0))


def test_layer_inputs_are_the_pre_activations(x):
    net = make_mlp([6, 5, 4, 3], activation="tanh", seed=0)
    z1, z2 = layer_inputs(net, x)
    assert torch.allclose(z1, net.linear1(x))
    assert torch.allclose(z2, net.linear2(torch.tanh(z1)))


def test_layer_inputs_after_batch_norm_are_normalized(x):
    net = make_mlp([6, 5, 5, 3], activation="sigmoid", norm="batch", seed=0).train()
    with torch.no_grad():
        inputs = layer_inputs(net, x)
    assert len(inputs) == 2 and all(z.shape == (50, 5) for z in inputs)
    for z in inputs:  # γ = 1, β = 0 at initialization: zero mean for every unit
        assert torch.allclose(z.mean(0), torch.zeros(5), atol=1e-5)
    # unit (biased) variance up to eps = 1e-5 (the 2nd layer's raw inputs vary little)
    assert torch.allclose(inputs[0].var(0, unbiased=False), torch.ones(5), atol=1e-3)


def test_layer_inputs_of_chosen_modules_and_hooks_removed(x):
    net = make_mlp([6, 5, 4, 3], activation="relu", seed=0)
    (z_out,) = layer_inputs(net, x, modules=[net.out])
    assert torch.allclose(z_out, torch.relu(net.linear2(torch.relu(net.linear1(x)))))
    assert all(not m._forward_hooks for m in net.modules()), "hooks are removed afterwards"


def test_layer_inputs_rejects_a_non_module(x):
    with pytest.raises(ValueError, match="nn.Module"):
        layer_inputs(lambda t: t, x)


def scalar_chain():
    """z1 = 2x, u = relu(z1), z2 = 3u: two 1-by-1 Linear layers without bias."""
    net = nn.Sequential(nn.Linear(1, 1, bias=False), nn.ReLU(), nn.Linear(1, 1, bias=False))
    with torch.no_grad():
        net[0].weight.fill_(2.0)
        net[2].weight.fill_(3.0)
    return net


def test_layer_errors_by_hand():
    # x = (1, 2, -1), y = 0, L = (1/3) Σ_i z2_i²: z1 = (2, 4, -2), z2 = (6, 12, 0).
    # e2_i = 3 · ∂L/∂z2_i = 2 z2_i = (12, 24, 0); e1_i = 3 · relu'(z1_i) · e2_i = (36, 72, 0).
    x, y = torch.tensor([[1.0], [2.0], [-1.0]]), torch.zeros(3, 1)
    mse = lambda out, target: ((out - target) ** 2).mean()
    per_example = layer_errors(scalar_chain(), x, y, loss_fn=mse, per_example=True)
    np.testing.assert_allclose(per_example, [[36, 12], [72, 24], [0, 0]], rtol=1e-6)
    rms = np.sqrt(np.array([36**2 + 72**2, 12**2 + 24**2]) / 3)
    np.testing.assert_allclose(layer_errors(scalar_chain(), x, y, loss_fn=mse), rms, rtol=1e-6)


def test_layer_errors_match_autograd_on_the_pre_activations(x):
    net = make_mlp([6, 5, 4, 3], activation="sigmoid", seed=0)
    y = torch.tensor([0, 1, 2] * 16 + [0, 1])
    z1 = net.linear1(x).detach().requires_grad_()
    z2 = net.linear2(torch.sigmoid(z1))
    z3 = net.out(torch.sigmoid(z2))
    grads = torch.autograd.grad(nn.functional.cross_entropy(z3, y), (z1, z2, z3))
    expected = [np.sqrt(50) * float(g.norm()) for g in grads]  # √N ‖∂L/∂z‖
    np.testing.assert_allclose(layer_errors(net, x, y), expected, rtol=1e-5)
    assert all(p.grad is None for p in net.parameters()), "no .grad is written"


def test_weight_gradient_is_error_times_input(x):
    # one example: ∂L/∂W = e uᵀ, so ‖∂L/∂W‖ = ‖e‖ ‖u‖, not ‖e‖
    net, y = make_mlp([6, 5, 3], activation="tanh", seed=1), torch.tensor([2])
    (e1, _), u = layer_errors(net, x[:1], y), x[:1]
    nn.functional.cross_entropy(net(u), y).backward()
    assert float(net.linear1.weight.grad.norm()) == pytest.approx(e1 * float(u.norm()), rel=1e-5)


def test_layer_errors_reach_frozen_layers_and_leave_buffers_alone(x):
    net = make_mlp([6, 5, 4, 3], activation="relu", norm="batch", seed=0).eval()
    net.requires_grad_(False)
    buffers = [b.clone() for b in net.buffers()]
    errors = layer_errors(net, x, torch.zeros(50, dtype=torch.long))
    assert errors.shape == (3,) and np.all(errors > 0)
    assert all(torch.equal(a, b) for a, b in zip(net.buffers(), buffers)), "eval mode"
    with pytest.raises(ValueError, match="nn.Module"):
        layer_errors(lambda t: t, x, None)


def test_weight_norms(x):
    net = make_mlp([6, 5, 3], seed=0)
    np.testing.assert_allclose(weight_norms(net),
                               [float(m.weight.detach().norm()) for m in linear_layers(net)])


def test_saturated_fraction_thresholds():
    x = torch.tensor([0.0, 1.0, 3.0, 4.0, -5.0])
    assert saturated_fraction(x, "sigmoid") == pytest.approx(2 / 5)  # |x| > 3.64
    assert saturated_fraction(x, "tanh") == pytest.approx(3 / 5)  # |x| > 1.82
    assert np.isnan(saturated_fraction(x, "relu"))
    with pytest.raises(ValueError, match="activation"):
        saturated_fraction(x, "gelu")


def test_layer_stats_are_the_recorded_numbers(x):
    stats = layer_stats(x, "tanh", unit=2)
    assert stats["mean"] == pytest.approx(float(x.mean()))
    assert stats["std"] == pytest.approx(float(x.std()))
    np.testing.assert_allclose(stats["unit_pct"], np.percentile(x[:, 2].numpy(), [15, 50, 85]),
                               rtol=1e-5)
    assert stats["medians"].shape == (6,) and stats["pct"][0] <= stats["pct"][2]
    assert stats["sat"] == saturated_fraction(x, "tanh")


def test_histogram_shift_ignores_which_example_moved_where(x):
    assert histogram_shift(x, x) == 0.0
    assert histogram_shift(x, x[torch.randperm(50)]) == pytest.approx(0.0, abs=1e-7)


def test_histogram_shift_of_a_constant_shift_is_shift_over_sigma(x):
    c = torch.arange(1.0, 7.0)  # a different shift for each of the 6 units
    expected = (c / x.std(dim=0)).mean().item()
    assert histogram_shift(x, x + c) == pytest.approx(expected, rel=1e-5)


def test_histogram_shift_is_scale_free_and_matches_a_numpy_reference(x):
    x_new = 1.3 * x + 0.2 * torch.randn(50, 6, generator=torch.Generator().manual_seed(1))
    a, b = x.numpy().astype(np.float64), x_new.numpy().astype(np.float64)
    ref = (np.abs(np.sort(a, 0) - np.sort(b, 0)).mean(0) / a.std(0, ddof=1)).mean()
    assert histogram_shift(x, x_new) == pytest.approx(ref, rel=1e-5)
    assert histogram_shift(10 * x, 10 * x_new) == pytest.approx(ref, rel=1e-5)


def test_histogram_shift_rejects_mismatched_shapes(x):
    with pytest.raises(ValueError, match="shape"):
        histogram_shift(x, x[:, :3])


def test_median_drift_is_the_mean_furthest_distance_from_the_start():
    medians = np.array([[0.0, 1.0], [2.0, 1.0], [-1.0, 0.5]])  # unit 0: max 2, unit 1: max 0.5
    assert median_drift(medians) == pytest.approx(1.25)
    assert median_drift(medians[:1]) == 0.0


def test_median_drift_rejects_a_flat_array():
    with pytest.raises(ValueError, match=r"\(T, D\)"):
        median_drift(np.zeros(5))


@pytest.mark.parametrize("n", [1, 2, 7, 1000, 64_000])
def test_quantiles_equal_torch_quantile_bit_for_bit(n):
    gen = torch.Generator().manual_seed(n)
    q = torch.tensor([0.0, 0.15, 0.5, 0.85, 1.0])
    for x in (torch.randn(n, generator=gen), torch.randn(n, generator=gen).round(),
              torch.randn(n, generator=gen, dtype=torch.float64)):
        assert torch.equal(quantiles(x, q), torch.quantile(x, q.to(x.dtype)))
    x = torch.randn(n, generator=gen)
    x[0] = float("nan")
    assert torch.quantile(x, q).isnan().all() and quantiles(x, q).isnan().all()
    with pytest.raises(RuntimeError, match="q values must be in the range"):
        quantiles(torch.randn(n, generator=gen), torch.tensor([-0.2, 0.5]))
