"""The plot helpers of notebooks 05-06 (helpers.plots.plot_gamma_beta, plot_running_estimates)."""

import matplotlib.pyplot as plt
import numpy as np
import pytest
import torch

from helpers import plots


def test_plot_gamma_beta_returns_its_axes_and_draws_each_layer():
    fig, ax = plt.subplots()
    params = {"layer 1": (torch.ones(4, requires_grad=True), torch.zeros(4)),
              "layer 2": (np.array([0.5, 2.0]), [1.0, -1.0])}
    assert plots.plot_gamma_beta(params, ax=ax) is ax
    labels = [t.get_text() for t in ax.get_legend().get_texts()]
    assert labels[:2] == ["layer 1 (4 units)", "layer 2 (2 units)"]
    assert "γ" in ax.get_xlabel() and "β" in ax.get_ylabel() and ax.get_title()
    plt.close(fig)


def test_plot_gamma_beta_errors():
    with pytest.raises(ValueError, match="non-empty"):
        plots.plot_gamma_beta({})
    with pytest.raises(ValueError, match="shape"):
        plots.plot_gamma_beta({"a": (np.ones(3), np.ones(2))})
    with pytest.raises(ValueError, match=r"\(D,\)"):
        plots.plot_gamma_beta({"a": (np.ones((2, 2)), np.ones((2, 2)))})
    plt.close("all")


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
