"""helpers.measurements: layer inputs, saturation, layer statistics, histogram shift, drift."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from helpers.measurements import (
    histogram_shift,
    layer_inputs,
    layer_stats,
    median_drift,
    saturated_fraction,
)
from helpers.models import make_mlp


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
