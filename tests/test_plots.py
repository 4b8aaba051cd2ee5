import matplotlib.pyplot as plt
import numpy as np
import pytest

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
