"""helpers.training.train: the History it records, seeds, divergence, caller-supplied batches."""

import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import torch

from helpers.history import History
from helpers.models import make_mlp
from helpers.training import SGD, _batches, train

ROOT = Path(__file__).resolve().parent.parent


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
    assert h.grad_norm.shape == h.error_norm.shape == (4, 3) and np.all(h.error_norm > 0)
    assert np.all(np.diff(h.pre_percentiles, axis=2) >= 0), "percentiles must be ordered"


def test_same_seed_gives_identical_histories():
    a, b = run(seed=4), run(seed=4)
    for field in ("train_loss", "test_accuracy", "pre_percentiles", "grad_norm", "error_norm",
                  "saturated"):
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


def test_recording_does_not_change_training():
    # the recorder's extra pass (errors) must leave the weights, buffers and random state alone
    options = {"norm": "batch", "dropout": 0.3, "seed": 2}
    nets = [make_mlp([12, 16, 8, 2], **options) for _ in range(2)]
    every, rarely = (train(net, toy_data(), steps=30, batch_size=20, eval_every=10,
                           record_every=r, seed=3) for net, r in zip(nets, (1, 30)))
    np.testing.assert_array_equal(every.train_loss, rarely.train_loss)
    assert all(torch.equal(a, b) for a, b in zip(nets[0].state_dict().values(),
                                                 nets[1].state_dict().values()))


def test_recorded_errors_are_layer_errors_of_the_step():
    from helpers.measurements import layer_errors
    net = make_mlp([12, 16, 2], activation="tanh", seed=0)
    x, y = (torch.as_tensor(a) for a in toy_data()[:2])
    before = layer_errors(net, x[:200], y[:200])
    h = train(net, toy_data(), steps=1, batch_size=200, eval_every=1, seed=0)
    np.testing.assert_allclose(h.error_norm[0], before, rtol=1e-5)


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


def test_progress_bar_can_be_chosen(capsys):
    run(steps=5, progress=True, label="bar")
    assert "bar" in capsys.readouterr().out
    run(steps=5, progress=False, label="off")
    assert "off" not in capsys.readouterr().out


@pytest.mark.parametrize("disable, shown", [("1", False), (None, True)])
def test_progress_bar_follows_tqdm_disable_by_default(disable, shown):
    code = ("from tests.test_training import run; run(steps=5, label='LABEL')")
    env = {k: v for k, v in os.environ.items() if k != "TQDM_DISABLE"}
    if disable:
        env["TQDM_DISABLE"] = disable
    out = subprocess.run([sys.executable, "-c", code], cwd=ROOT, env=env, capture_output=True,
                         text=True, check=True)
    assert ("LABEL" in out.stdout) == shown


def test_train_and_make_mlp_leave_the_global_random_state_alone():
    torch.manual_seed(123)
    expected = torch.rand(3)
    torch.manual_seed(123)
    net = make_mlp([12, 16, 2], activation="relu", dropout=0.5, seed=7)
    train(net, toy_data(), steps=5, batch_size=20, eval_every=5, seed=7)
    assert torch.equal(torch.rand(3), expected), "a learner's next torch.rand is unchanged"


def test_seeded_runs_do_not_depend_on_the_global_state():
    torch.manual_seed(1)
    a = run(seed=2, activation="relu")
    torch.manual_seed(99)
    b = run(seed=2, activation="relu")
    np.testing.assert_array_equal(a.train_loss, b.train_loss)


@pytest.fixture(scope="module")
def small_data():
    rng = np.random.default_rng(0)
    x = rng.standard_normal((100, 5)).astype(np.float32)
    y = (x[:, 0] > 0).astype(np.int64)
    return x[:80], y[:80], x[80:], y[80:]


def test_given_batches_equal_to_the_default_give_the_same_run(small_data):
    runs = []
    for batches in (None, _batches(80, 10, 3, torch.device("cpu"))):
        net = make_mlp([5, 4, 2], "relu", norm="batch", seed=0)
        runs.append(train(net, small_data, steps=15, batch_size=10, eval_every=5, seed=3,
                          batches=batches))
    np.testing.assert_array_equal(runs[0].train_loss, runs[1].train_loss)
    np.testing.assert_array_equal(runs[0].test_accuracy, runs[1].test_accuracy)


def test_batches_may_be_arrays_lists_or_tensors_of_any_size(small_data):
    y = small_data[1]
    ones, zeros = np.flatnonzero(y == 1), np.flatnonzero(y == 0)
    batches = [ones[:8], list(zeros[:3]), torch.as_tensor(ones[8:12], dtype=torch.int32)] * 3
    h = train(make_mlp([5, 4, 2], "relu", seed=0), small_data, steps=9, eval_every=3,
              batches=iter(batches))
    assert h.steps_done == 9 and not h.diverged


def test_batches_that_run_out_or_are_malformed_raise(small_data):
    net = make_mlp([5, 4, 2], "relu", seed=0)
    with pytest.raises(ValueError, match="ran out after 2"):
        train(net, small_data, steps=5, batches=[[0, 1], [2, 3]])
    with pytest.raises(ValueError, match="outside 0..79"):
        train(net, small_data, steps=2, batches=[[0, 80]])
    with pytest.raises(ValueError, match="1-D tensor of integer"):
        train(net, small_data, steps=2, batches=[[0.5, 1.0]])
    with pytest.raises(ValueError, match="1-D tensor of integer"):
        train(net, small_data, steps=2, batches=[[]])


@pytest.mark.parametrize("momentum, weight_decay",
                         [(0.0, 0.0), (0.9, 0.0), (0.0, 1e-3), (0.9, 5e-4)])
def test_sgd_moves_every_weight_as_torch_optim_sgd(momentum, weight_decay):
    """train's SGD is torch.optim.SGD's update, bit for bit (also for the BN parameters)."""
    ours, theirs = (make_mlp([12, 16, 8, 2], activation="tanh", norm="batch", seed=3)
                    for _ in range(2))
    options = {"lr": 0.3, "momentum": momentum, "weight_decay": weight_decay}
    opts = SGD(ours.parameters(), **options), torch.optim.SGD(theirs.parameters(), **options)
    x, y = (torch.as_tensor(a) for a in toy_data()[:2])
    for step in range(20):
        for net, opt in zip((ours, theirs), opts):
            opt.zero_grad()
            batch = slice(10 * step, 10 * step + 10)
            torch.nn.functional.cross_entropy(net(x[batch]), y[batch]).backward()
            opt.step()
    for (name, a), b in zip(ours.state_dict().items(), theirs.state_dict().values()):
        assert torch.equal(a, b), name
