"""Tests for the plot helpers of notebooks 01-02: plot_by_layer and plot_derivatives."""

from __future__ import annotations

import matplotlib.pyplot as plt
import numpy as np
import pytest

from helpers.plots import plot_by_layer, plot_derivatives


def test_plot_by_layer_draws_one_line_per_run_over_layers_1_to_L():
    fig, ax = plt.subplots()
    out = plot_by_layer({"a": [1.0, 2.0, 4.0], "b": np.array([1.0, np.nan, 0.5])}, ax=ax,
                        ylabel="shift", title="t", log=True)
    assert out is ax and len(ax.lines) == 2
    assert list(ax.lines[0].get_xdata()) == [1, 2, 3]
    assert list(ax.get_xticks()) == [1, 2, 3]
    assert ax.get_yscale() == "log" and ax.get_title() == "t" and ax.get_ylabel() == "shift"
    assert [t.get_text() for t in ax.get_legend().get_texts()] == ["a", "b"]
    plt.close(fig)


def test_plot_by_layer_makes_its_own_axes_and_rejects_bad_input():
    ax = plot_by_layer({"a": [1.0, 2.0]})
    assert ax.get_yscale() == "linear"
    plt.close(ax.figure)
    with pytest.raises(ValueError, match="dict"):
        plot_by_layer([1.0, 2.0])
    with pytest.raises(ValueError, match=r"shape \(L,\)"):
        plot_by_layer({"a": np.zeros((2, 2))})


def test_plot_derivatives_draws_curves_thresholds_and_saturated_ranges():
    z = np.linspace(-6, 6, 121)
    s = 1 / (1 + np.exp(-z))
    fig, ax = plt.subplots()
    out = plot_derivatives(z, {"sigmoid": s * (1 - s), "tanh": 1 - np.tanh(z) ** 2}, ax=ax)
    assert out is ax
    assert len(ax.lines) == 4  # two curves and two dotted 10 % levels
    assert ax.lines[1].get_ydata()[0] == pytest.approx(0.025, rel=1e-3)  # 10 % of 1/4
    assert len(ax.collections) == 2  # one shaded saturated range per activation
    plt.close(fig)


def test_plot_derivatives_rejects_mismatched_shapes():
    with pytest.raises(ValueError, match="expected"):
        plot_derivatives(np.linspace(0, 1, 5), {"f": np.zeros(4)})
    with pytest.raises(ValueError, match="non-empty dict"):
        plot_derivatives(np.linspace(0, 1, 5), {})
