"""helpers.plots: every shared figure returns its axes, labels what it draws, rejects bad input."""

import matplotlib.pyplot as plt
import numpy as np
import pytest
import torch

from helpers import plots
from helpers.data import load_mnist
from helpers.models import make_mlp
from helpers.training import train


@pytest.fixture(scope="module")
def histories():
    rng = np.random.default_rng(0)
    x = rng.standard_normal((120, 6)).astype(np.float32)
    y = (x[:, 0] > 0).astype(np.int64)
    data = (x[:100], y[:100], x[100:], y[100:])
    ok = train(make_mlp([6, 5, 4, 2], "sigmoid", seed=0), data, steps=20, batch_size=10,
               eval_every=5, label="ok")
    bad = train(make_mlp([6, 5, 2], "relu", seed=0), data, steps=50, batch_size=10, lr=1e8,
                eval_every=5, label="bad")
    return ok, bad


def test_every_plot_returns_its_axes(histories):
    ok, bad = histories
    calls = [
        lambda ax: plots.plot_accuracy({"a": ok, "b": bad}, ax=ax, threshold=0.9, train=True),
        lambda ax: plots.plot_loss([ok, bad], ax=ax),
        lambda ax: plots.plot_percentiles(ok, layer=0, which="all", ax=ax),
        lambda ax: plots.plot_unit_medians(ok, ax=ax),
        lambda ax: plots.plot_layer_curves(ok, "saturated", ax=ax),
        lambda ax: plots.show_digits(*load_mnist("test"), n=10, ax=ax),
    ]
    for call in calls:
        fig, ax = plt.subplots()
        assert call(ax) is ax
        plt.close(fig)


def test_without_ax_a_new_figure_is_made(histories):
    ax = plots.plot_layer_curves(histories[0])
    assert ax.get_yscale() == "log"
    plt.close(ax.figure)


def test_diverged_run_is_labelled(histories):
    _, bad = histories
    assert bad.diverged
    ax = plots.plot_loss(bad)
    assert "diverged at step" in ax.get_legend().get_texts()[0].get_text()
    plt.close(ax.figure)


def test_bad_arguments(histories):
    with pytest.raises(ValueError, match="which"):
        plots.plot_percentiles(histories[0], which="some")
    with pytest.raises(ValueError, match="quantity"):
        plots.plot_layer_curves(histories[0], "speed")
    with pytest.raises(ValueError, match="History"):
        plots.plot_accuracy(42)
    with pytest.raises(ValueError, match=r"\(N, 784\)"):
        plots.show_digits(np.zeros((3, 10)))


def test_plot_by_layer_draws_one_line_per_run_over_layers_1_to_L():
    fig, ax = plt.subplots()
    out = plots.plot_by_layer({"a": [1.0, 2.0, 4.0], "b": np.array([1.0, np.nan, 0.5])}, ax=ax,
                        ylabel="shift", title="t", log=True)
    assert out is ax and len(ax.lines) == 2
    assert list(ax.lines[0].get_xdata()) == [1, 2, 3]
    assert list(ax.get_xticks()) == [1, 2, 3]
    assert ax.get_yscale() == "log" and ax.get_title() == "t" and ax.get_ylabel() == "shift"
    assert [t.get_text() for t in ax.get_legend().get_texts()] == ["a", "b"]
    plt.close(fig)


def test_plot_by_layer_makes_its_own_axes_and_rejects_bad_input():
    ax = plots.plot_by_layer({"a": [1.0, 2.0]})
    assert ax.get_yscale() == "linear"
    plt.close(ax.figure)
    with pytest.raises(ValueError, match="dict"):
        plots.plot_by_layer([1.0, 2.0])
    with pytest.raises(ValueError, match=r"shape \(L,\)"):
        plots.plot_by_layer({"a": np.zeros((2, 2))})


@pytest.mark.parametrize("target", [None, 1.0, np.linspace(0, 1, 5)])
def test_plot_running_estimates(target):
    fig, ax = plt.subplots()
    curves = {"a": np.arange(5.0) + 1, "b": torch.ones(5)}
    assert plots.plot_running_estimates(curves, target=target, ax=ax, log=True,
                                        steps=[10, 20, 30, 40, 50]) is ax
    assert ax.get_yscale() == "log"
    assert ax.lines[0].get_xdata().tolist() == [10, 20, 30, 40, 50]
    assert len(ax.lines) == 2 + (target is not None)
    plt.close(fig)


def test_plot_running_estimates_default_steps_and_errors():
    ax = plots.plot_running_estimates({"a": [1.0, 2.0, 3.0]})
    assert ax.lines[0].get_xdata().tolist() == [1, 2, 3]
    with pytest.raises(ValueError, match="non-empty"):
        plots.plot_running_estimates({})
    with pytest.raises(ValueError, match="steps has 2 values"):
        plots.plot_running_estimates({"a": [1.0, 2.0, 3.0]}, steps=[1, 2])
    plt.close("all")


def test_data_plots_return_their_axes_with_labels():
    rng = np.random.default_rng(0)
    pts = rng.normal(size=(50, 2))
    net = make_mlp([2, 4, 2], activation="sigmoid", norm="batch", seed=0)
    calls = [
        lambda ax: plots.plot_points_2d(pts, ax=ax, title="t", color=pts[:, 0], lim=3,
                                        arrows=np.eye(2)),
        lambda ax: plots.plot_covariance(np.cov(pts.T), ax=ax, title="t"),
        lambda ax: plots.plot_loglog([1, 2, 4], {"a": [1.0, 2.0, 4.0]}, ax=ax, xlabel="x",
                                     ylabel="y", title="t"),
        lambda ax: plots.plot_decision_regions(net, pts, (pts[:, 0] > 0).astype(int), ax=ax,
                                               title="t"),
    ]
    for call in calls:
        fig, ax = plt.subplots()
        assert call(ax) is ax
        assert ax.get_xlabel() and ax.get_ylabel() and ax.get_title()
        plt.close(fig)


def test_show_images_returns_axes_and_checks_shape():
    fig, ax = plt.subplots()
    x = np.random.default_rng(0).normal(size=(5, 784))
    assert plots.show_images(x, n=4, ax=ax, title="z") is ax
    with pytest.raises(ValueError, match=r"show_images: x must have shape \(N, 784\)"):
        plots.show_images(np.zeros((3, 10)))
    plt.close("all")


def test_loglog_slope_in_legend():
    fig, ax = plt.subplots()
    x = np.array([16, 32, 64, 128])
    plots.plot_loglog(x, {"quadratic": x**2.0, "linear": 3.0 * x}, ax=ax, fit_from=32)
    labels = [t.get_text() for t in ax.get_legend().get_texts()]
    assert labels == ["quadratic (slope 2.00)", "linear (slope 1.00)"]
    assert ax.get_xscale() == "log" and ax.get_yscale() == "log"
    plt.close("all")


def test_decision_regions_keep_the_training_mode():
    net = make_mlp([2, 4, 2], activation="tanh", norm="batch", seed=0).train()
    pts = np.random.default_rng(0).normal(size=(20, 2))
    fig, ax = plt.subplots()
    plots.plot_decision_regions(net, pts, np.zeros(20, int), ax=ax)
    assert net.training
    net.eval()
    plots.plot_decision_regions(net, torch.as_tensor(pts).numpy(), np.zeros(20, int), ax=ax)
    assert not net.training
    plt.close("all")


def test_data_plots_bad_arguments_are_clear_errors():
    with pytest.raises(ValueError, match=r"plot_points_2d: points must have shape \(N, 2\)"):
        plots.plot_points_2d(np.zeros((4, 3)))
    with pytest.raises(ValueError, match=r"plot_covariance: S must be a square matrix"):
        plots.plot_covariance(np.zeros((2, 3)))
    with pytest.raises(ValueError, match=r"plot_loglog: curve 'a' has shape"):
        plots.plot_loglog([1, 2], {"a": [1.0, 2.0, 3.0]})
    plt.close("all")
