"""Tests for the additions to helpers.data: circle_task (notebooks 04 and 05)."""

from __future__ import annotations

import numpy as np
import pytest

from helpers.data import circle_task


def test_shapes_types_and_label_rule():
    x_train, y_train, x_test, y_test = circle_task(n_train=300, n_test=100, seed=3)
    assert x_train.shape == (300, 2) and x_test.shape == (100, 2)
    assert x_train.dtype == x_test.dtype == np.float32
    assert y_train.dtype == y_test.dtype == np.int64
    for x, y in ((x_train, y_train), (x_test, y_test)):
        inside = np.sum(x.astype(np.float64) ** 2, axis=1) < 2 * np.log(2)
        np.testing.assert_array_equal(y, inside.astype(np.int64))


def test_seeded_and_splits_differ():
    a, b = circle_task(seed=5), circle_task(seed=5)
    for u, v in zip(a, b):
        np.testing.assert_array_equal(u, v)
    assert not np.array_equal(circle_task(seed=6)[0], a[0])
    assert not np.any(np.all(a[2][:, None, :] == a[0][None, :, :], axis=2))


def test_classes_balanced_and_label_even_in_x():
    x, y, _, _ = circle_task(n_train=20000, n_test=1, seed=0)
    assert abs(y.mean() - 0.5) < 0.02
    inside_of_minus_x = (np.sum((-x.astype(np.float64)) ** 2, axis=1) < 2 * np.log(2))
    np.testing.assert_array_equal(y, inside_of_minus_x.astype(np.int64))


@pytest.mark.parametrize("kwargs", [{"n_train": 0}, {"n_test": -1}, {"n_train": 2.5},
                                    {"n_test": True}])
def test_bad_sizes_are_clear_errors(kwargs):
    with pytest.raises(ValueError, match=r"^circle_task: n_(train|test) must be a positive"):
        circle_task(**kwargs)
