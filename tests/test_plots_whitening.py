"""Tests for the plot helpers of notebooks 03-04 (whitening, per-feature normalization)."""

from __future__ import annotations

import matplotlib.pyplot as plt
import numpy as np
import pytest
import torch

from helpers.models import make_mlp
from helpers.plots import (
    plot_agreement,
    plot_convergence,
    plot_covariance,
    plot_decision_regions,
    plot_loglog,
    plot_points_2d,
    plot_sigmoid_range,
    show_images,
)


@pytest.fixture(autouse=True)
def _close():
    yield
    plt.close("all")


def test_every_plot_returns_its_axes_with_labels():
    rng = np.random.default_rng(0)
    pts = rng.normal(size=(50, 2))
    net = make_mlp([2, 4, 2], activation="sigmoid", norm="batch", seed=0)
    calls = [
        lambda ax: plot_points_2d(pts, ax=ax, title="t", color=pts[:, 0], lim=3, arrows=np.eye(2)),
        lambda ax: plot_covariance(np.cov(pts.T), ax=ax, title="t"),
        lambda ax: plot_convergence({"a": (np.logspace(0, -3, 10), None)}, ax=ax),
        lambda ax: plot_loglog([1, 2, 4], {"a": [1.0, 2.0, 4.0]}, ax=ax, xlabel="x", ylabel="y",
                               title="t"),
        lambda ax: plot_agreement([64, 128], {"a": [0.5, 0.9]}, ax=ax),
        lambda ax: plot_sigmoid_range(ax=ax),
        lambda ax: plot_decision_regions(net, pts, (pts[:, 0] > 0).astype(int), ax=ax, title="t"),
    ]
    for call in calls:
        fig, ax = plt.subplots()
        assert call(ax) is ax
        assert ax.get_xlabel() and ax.get_ylabel() and ax.get_title()


def test_show_images_returns_axes_and_checks_shape():
    fig, ax = plt.subplots()
    assert show_images(np.random.default_rng(0).normal(size=(5, 784)), n=4, ax=ax, title="z") is ax
    with pytest.raises(ValueError, match=r"show_images: x must have shape \(N, 784\)"):
        show_images(np.zeros((3, 10)))


def test_without_ax_a_new_figure_is_made():
    ax = plot_covariance(np.eye(3))
    assert ax.figure is not None


def test_diverged_run_is_labelled_and_marked():
    fig, ax = plt.subplots()
    plot_convergence({"ok": (np.logspace(0, -8, 20), None), "bad": (np.logspace(0, 6, 30), 29)},
                     ax=ax)
    labels = [t.get_text() for t in ax.get_legend().get_texts()]
    assert "bad (diverged at step 29)" in labels and "ok" in labels
    markers = [ln for ln in ax.get_lines() if ln.get_marker() == "x"]
    assert len(markers) == 1 and markers[0].get_xdata()[0] == 29
    assert all(np.all(np.isfinite(ln.get_ydata())) for ln in ax.get_lines())


def test_loglog_slope_in_legend():
    fig, ax = plt.subplots()
    x = np.array([16, 32, 64, 128])
    plot_loglog(x, {"quadratic": x**2.0, "linear": 3.0 * x}, ax=ax, fit_from=32)
    labels = [t.get_text() for t in ax.get_legend().get_texts()]
    assert labels == ["quadratic (slope 2.00)", "linear (slope 1.00)"]
    assert ax.get_xscale() == "log" and ax.get_yscale() == "log"


def test_decision_regions_keep_the_training_mode():
    net = make_mlp([2, 4, 2], activation="tanh", norm="batch", seed=0).train()
    pts = np.random.default_rng(0).normal(size=(20, 2))
    fig, ax = plt.subplots()
    plot_decision_regions(net, pts, np.zeros(20, int), ax=ax)
    assert net.training
    net.eval()
    plot_decision_regions(net, torch.as_tensor(pts).numpy(), np.zeros(20, int), ax=ax)
    assert not net.training


def test_bad_arguments_are_clear_errors():
    with pytest.raises(ValueError, match=r"plot_points_2d: points must have shape \(N, 2\)"):
        plot_points_2d(np.zeros((4, 3)))
    with pytest.raises(ValueError, match=r"plot_covariance: S must be a square matrix"):
        plot_covariance(np.zeros((2, 3)))
    with pytest.raises(ValueError, match=r"plot_loglog: curve 'a' has shape"):
        plot_loglog([1, 2], {"a": [1.0, 2.0, 3.0]})
