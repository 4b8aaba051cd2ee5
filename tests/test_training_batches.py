"""helpers.training.train(..., batches=...): caller-supplied mini-batches (notebook 06)."""

import numpy as np
import pytest
import torch

from helpers.models import make_mlp
from helpers.training import _batches, train


@pytest.fixture(scope="module")
def data():
    rng = np.random.default_rng(0)
    x = rng.standard_normal((100, 5)).astype(np.float32)
    y = (x[:, 0] > 0).astype(np.int64)
    return x[:80], y[:80], x[80:], y[80:]


def test_given_batches_equal_to_the_default_give_the_same_run(data):
    runs = []
    for batches in (None, _batches(80, 10, 3, torch.device("cpu"))):
        net = make_mlp([5, 4, 2], "relu", norm="batch", seed=0)
        runs.append(train(net, data, steps=15, batch_size=10, eval_every=5, seed=3,
                          batches=batches))
    np.testing.assert_array_equal(runs[0].train_loss, runs[1].train_loss)
    np.testing.assert_array_equal(runs[0].test_accuracy, runs[1].test_accuracy)


def test_batches_may_be_arrays_lists_or_tensors_of_any_size(data):
    y = data[1]
    ones, zeros = np.flatnonzero(y == 1), np.flatnonzero(y == 0)
    batches = [ones[:8], list(zeros[:3]), torch.as_tensor(ones[8:12], dtype=torch.int32)] * 3
    h = train(make_mlp([5, 4, 2], "relu", seed=0), data, steps=9, eval_every=3,
              batches=iter(batches))
    assert h.steps_done == 9 and not h.diverged


def test_batches_that_run_out_or_are_malformed_raise(data):
    net = make_mlp([5, 4, 2], "relu", seed=0)
    with pytest.raises(ValueError, match="ran out after 2"):
        train(net, data, steps=5, batches=[[0, 1], [2, 3]])
    with pytest.raises(ValueError, match="outside 0..79"):
        train(net, data, steps=2, batches=[[0, 80]])
    with pytest.raises(ValueError, match="1-D tensor of integer"):
        train(net, data, steps=2, batches=[[0.5, 1.0]])
    with pytest.raises(ValueError, match="1-D tensor of integer"):
        train(net, data, steps=2, batches=[[]])
