"""helpers.dashboard: per-layer health measurements, from a model or a History, and the figure."""

from __future__ import annotations

import matplotlib.pyplot as plt
import numpy as np
import pytest
import torch
from torch import nn

from helpers.dashboard import (
    Health,
    dashboard,
    health_from_history,
    measure_health,
    plot_health,
)
from helpers.measurements import layer_errors, layer_inputs, weight_norms
from helpers.models import make_mlp
from helpers.training import train


@pytest.fixture
def batch():
    gen = torch.Generator().manual_seed(0)
    return torch.randn(40, 6, generator=gen) * 2 + 1, torch.randint(0, 3, (40,), generator=gen)


@pytest.fixture
def net():
    return make_mlp([6, 5, 4, 3], activation="relu", norm="batch", seed=0)


def test_shapes_and_kinds(net, batch):
    h = measure_health(net, *batch, lr=0.1)
    assert h.layer_names == ["act1", "act2"] and h.activations == ["relu", "relu"]
    assert h.percentiles.shape == (2, 3) and len(h.samples) == 2
    assert h.error_norm.shape == h.grad_norm.shape == h.update_ratio.shape == (3,)
    assert h.bn_mean_gap.shape == h.bn_var_ratio.shape == (2,)
    assert np.isnan(h.saturated).all() and ((0 <= h.zero_side) & (h.zero_side <= 1)).all()


def test_the_model_is_left_as_it_was(net, batch):
    net.eval()
    buffers = [b.clone() for b in net.buffers()]
    measure_health(net, *batch, lr=0.1)
    assert not net.training, "the mode is restored"
    assert all(torch.equal(a, b) for a, b in zip(net.buffers(), buffers))
    assert all(p.grad is None for p in net.parameters()), "no .grad is written"
    assert [m.momentum for m in net.modules() if isinstance(m, nn.BatchNorm1d)] == [0.1, 0.1]


def test_gradients_and_update_ratio_are_one_sgd_step(net, batch):
    x, y = batch
    h = measure_health(net, x, y, lr=0.5)
    net.train()
    nn.functional.cross_entropy(net(x), y).backward()
    grads = np.array([net.linear1.weight.grad.norm(), net.linear2.weight.grad.norm(),
                      net.out.weight.grad.norm()])
    np.testing.assert_allclose(h.grad_norm, grads, rtol=1e-5)
    np.testing.assert_allclose(h.update_ratio, 0.5 * grads / weight_norms(net), rtol=1e-5)
    assert np.isnan(measure_health(net, x, y).update_ratio).all(), "no lr: no ratio"


def test_errors_are_layer_errors_in_training_mode(net, batch):
    net.eval()
    h = measure_health(net, *batch)
    np.testing.assert_allclose(h.error_norm, layer_errors(net.train(), *batch), rtol=1e-5)


def test_percentiles_are_those_of_the_layer_inputs(net, batch):
    h = measure_health(net, *batch)
    with torch.no_grad():
        z = layer_inputs(net.train(), batch[0])
    for row, t in zip(h.percentiles, z):
        np.testing.assert_allclose(row, np.percentile(t.numpy(), [15, 50, 85]), rtol=1e-4,
                                   atol=1e-6)


def test_saturation_for_sigmoid(batch):
    sig = make_mlp([6, 5, 3], activation="sigmoid", init_std=5.0, seed=0)
    h = measure_health(sig, *batch)
    assert np.isnan(h.zero_side).all() and 0 < h.saturated[0] <= 1
    assert len(h.bn_var_ratio) == 0, "no BN layer, no BN numbers"


def test_bn_gap_is_zero_when_running_statistics_equal_the_batch(net, batch):
    x, _ = batch
    with torch.no_grad():
        z = net.linear1(x)
        net.norm1.running_mean.copy_(z.mean(0))
        net.norm1.running_var.copy_(z.var(0))
        net.norm1.running_var.mul_(4.0)  # then: ratio 4, mean gap still 0
    h = measure_health(net, *batch)
    assert h.bn_mean_gap[0] == pytest.approx(0.0, abs=1e-5)
    assert h.bn_var_ratio[0] == pytest.approx(4.0, rel=1e-4)


def test_from_a_history(net):
    gen = torch.Generator().manual_seed(1)
    data = (torch.randn(120, 6, generator=gen), torch.randint(0, 3, (120,), generator=gen),
            torch.randn(30, 6, generator=gen), torch.randint(0, 3, (30,), generator=gen))
    hist = train(net, data, steps=20, batch_size=20, lr=0.1, eval_every=10, probe_size=30,
                 progress=False)
    h = health_from_history(hist, lr=0.1, model=net)
    np.testing.assert_allclose(h.grad_norm, hist.grad_norm[-1])
    np.testing.assert_allclose(h.error_norm, hist.error_norm[-1])
    assert np.isnan(health_from_history(type(hist)(**{**vars(hist), "error_norm": np.zeros((0, 0))})
                                        ).error_norm).all(), "no errors recorded: NaN"
    np.testing.assert_allclose(h.update_ratio, 0.1 * hist.grad_norm[-1] / weight_norms(net))
    np.testing.assert_allclose(h.percentiles, hist.pre_percentiles[-1])
    assert np.isnan(health_from_history(hist).update_ratio).all()
    with pytest.raises(ValueError, match="recorded no steps"):
        health_from_history(type(hist)())


def test_plot_and_dashboard(net, batch):
    h = measure_health(net, *batch, lr=0.1)
    fig = plot_health({"a": h, "b": h})
    assert len(fig.axes) == 6 and all(ax.get_title() for ax in fig.axes)
    health, fig2 = dashboard({"model": net, "health": h}, *batch, lr=0.1)
    assert isinstance(health["model"], Health) and health["health"] is h
    _, axes = plt.subplots(2, 3)
    assert dashboard(h, axes=axes)[1] is axes[0, 0].figure
    plt.close("all")


def test_errors_a_learner_can_act_on(net, batch):
    with pytest.raises(ValueError, match="give the batch"):
        dashboard(net)
    with pytest.raises(ValueError, match="expected a model"):
        dashboard(42)
    with pytest.raises(ValueError, match="6 axes"):
        plot_health(measure_health(net, *batch), axes=plt.subplots(1, 2)[1])
    plt.close("all")
