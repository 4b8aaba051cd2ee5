import numpy as np
import pytest
import torch

from helpers.models import make_mlp
from helpers.training import History, saturated_fraction, train


def toy_data(seed=0, n=300, d=12):
    rng = np.random.default_rng(seed)
    x = rng.standard_normal((n, d)).astype(np.float32)
    y = (x[:, 0] + x[:, 1] > 0).astype(np.int64)
    return x[:200], y[:200], x[200:], y[200:]


def run(seed=0, **kwargs):
    net = make_mlp([12, 16, 8, 2], activation=kwargs.pop("activation", "sigmoid"),
                   norm=kwargs.pop("norm", None), seed=seed)
    options = {"steps": 40, "batch_size": 20, "lr": 0.5, "eval_every": 10, "seed": seed}
    return train(net, toy_data(), **(options | kwargs))


def test_history_shapes():
    h = run()
    assert isinstance(h, History) and h.steps_done == 40 and not h.diverged
    assert h.train_loss.shape == (40,)
    assert list(h.eval_steps) == [0, 10, 20, 30, 40]
    assert h.test_accuracy.shape == h.train_accuracy.shape == h.test_loss.shape == (5,)
    assert list(h.record_steps) == [0, 10, 20, 30]
    assert h.layer_names == ["act1", "act2"] and h.activations == ["sigmoid", "sigmoid"]
    assert h.pre_mean.shape == h.pre_std.shape == h.saturated.shape == (4, 2)
    assert h.pre_percentiles.shape == h.unit_percentiles.shape == (4, 2, 3)
    assert [m.shape for m in h.unit_medians] == [(4, 16), (4, 8)]
    assert h.grad_norm.shape == (4, 3) and np.all(h.grad_norm > 0)
    assert np.all(np.diff(h.pre_percentiles, axis=2) >= 0), "percentiles must be ordered"


def test_same_seed_gives_identical_histories():
    a, b = run(seed=4), run(seed=4)
    for field in ("train_loss", "test_accuracy", "pre_percentiles", "grad_norm", "saturated"):
        np.testing.assert_array_equal(getattr(a, field), getattr(b, field))
    assert not np.array_equal(a.train_loss, run(seed=5).train_loss)


def test_divergence_is_recorded_not_raised():
    h = run(lr=1e6, activation="relu", steps=200)
    assert h.diverged and h.diverged_at is not None and h.steps_done == h.diverged_at
    assert np.all(np.isfinite(h.train_loss)), "no NaN is stored in the loss curve"
    assert "DIVERGED" in h.summary()


def test_recording_leaves_batchnorm_buffers_alone():
    net = make_mlp([12, 16, 2], norm="batch", seed=0)
    h = train(net, toy_data(), steps=7, batch_size=20, eval_every=100, record_every=1)
    assert len(h.record_steps) == 7
    assert net.norm1.num_batches_tracked.item() == 7, "only training steps update BN statistics"


def test_steps_to_accuracy_and_final_accuracy():
    h = run(steps=60)
    reached = h.steps_to_accuracy(0.0)
    assert reached == 0 and h.steps_to_accuracy(1.01) is None
    assert h.final_test_accuracy == h.test_accuracy[-1]


def test_adam_and_mnist_default_data():
    net = make_mlp([784, 32, 10], activation="relu", seed=0)
    h = train(net, steps=30, batch_size=50, lr=1e-3, optimizer="adam", eval_every=30, seed=0)
    assert h.final_test_accuracy > 0.5 and h.activations == ["relu"]
    assert np.all(np.isnan(h.saturated)), "ReLU has no saturated fraction"


@pytest.mark.parametrize("kwargs, message", [
    ({"steps": 0}, "steps must be a positive integer"),
    ({"batch_size": 2.5}, "batch_size"),
    ({"lr": -1.0}, "lr must be positive"),
    ({"optimizer": "rmsprop"}, "optimizer"),
    ({"record_every": 0}, "record_every"),
])
def test_bad_arguments(kwargs, message):
    with pytest.raises(ValueError, match=message):
        run(**kwargs)


def test_bad_data_shapes():
    net = make_mlp([12, 4, 2])
    x, y, xt, yt = toy_data()
    with pytest.raises(ValueError, match="x of shape"):
        train(net, (x[:, :, None], y, xt, yt))
    with pytest.raises(ValueError, match="tuple"):
        train(net, (x, y))


def test_saturated_fraction_thresholds():
    x = torch.tensor([0.0, 1.0, 3.0, 4.0, -5.0])
    assert saturated_fraction(x, "sigmoid") == pytest.approx(2 / 5)  # |x| > 3.64
    assert saturated_fraction(x, "tanh") == pytest.approx(3 / 5)  # |x| > 1.82
    assert np.isnan(saturated_fraction(x, "relu"))
    with pytest.raises(ValueError, match="activation"):
        saturated_fraction(x, "gelu")


def test_progress_bar_can_be_shown(capsys):
    run(steps=5, progress=True, label="bar")
    assert "bar" in capsys.readouterr().out
