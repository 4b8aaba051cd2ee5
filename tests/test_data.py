"""helpers.data: the MNIST file, the synthetic sets, circle_task and class_batches."""

import hashlib
import shutil

import numpy as np
import pytest
import torch

from helpers import data
from helpers.data import (
    MNIST_FILE,
    MNIST_SHA256,
    circle_task,
    class_batches,
    correlated_gaussians,
    load_mnist,
)


def test_committed_file_matches_recorded_checksum():
    assert hashlib.sha256(MNIST_FILE.read_bytes()).hexdigest() == MNIST_SHA256
    readme = (MNIST_FILE.parent / "README.md").read_text(encoding="utf-8")
    assert MNIST_SHA256 in readme, "data/README.md must record the file's SHA-256"


@pytest.mark.parametrize("split, n", [("train", 4000), ("test", 1000)])
def test_load_mnist_shapes_types_and_balance(split, n):
    x, y = load_mnist(split)
    assert x.shape == (n, 784) and x.dtype == np.float32
    assert y.shape == (n,) and y.dtype == np.int64
    assert 0.0 <= x.min() and x.max() == pytest.approx(1.0)
    assert (np.bincount(y) == n // 10).all()


def test_train_and_test_images_are_disjoint():
    xtr, _ = load_mnist("train")
    xte, _ = load_mnist("test")
    train_rows = {row.tobytes() for row in (xtr * 255).astype(np.uint8)}
    assert not any(row.tobytes() in train_rows for row in (xte * 255).astype(np.uint8))


def test_load_mnist_rejects_unknown_split():
    with pytest.raises(ValueError, match="'train' or 'test'"):
        load_mnist("validation")


def test_missing_file_says_which_and_how_to_restore(tmp_path):
    with pytest.raises(FileNotFoundError, match="missing.npz.*make_mnist_npz"):
        load_mnist("train", path=tmp_path / "missing.npz")


def test_corrupt_file_fails_the_checksum(tmp_path, monkeypatch):
    bad = tmp_path / "mnist_5k.npz"
    shutil.copy(MNIST_FILE, bad)
    with open(bad, "r+b") as f:
        f.seek(1000)
        f.write(b"corrupted")
    monkeypatch.setattr(data, "MNIST_FILE", bad)
    data._read_verified.cache_clear()
    with pytest.raises(ValueError, match=f"corrupt.*expected {MNIST_SHA256}.*Restore"):
        load_mnist("train")
    data._read_verified.cache_clear()


def test_correlated_gaussians_seeded_and_correlated():
    a = correlated_gaussians(2000, rho=0.8, seed=1)
    assert a.shape == (2000, 2)
    np.testing.assert_array_equal(a, correlated_gaussians(2000, rho=0.8, seed=1))
    assert np.corrcoef(a.T)[0, 1] == pytest.approx(0.8, abs=0.03)
    with pytest.raises(ValueError, match="rho"):
        correlated_gaussians(10, rho=1.0)
    with pytest.raises(ValueError, match="scales"):
        correlated_gaussians(10, scales=(1.0, -1.0))
    with pytest.raises(ValueError, match="n must be"):
        correlated_gaussians(1)


def test_circle_task_shapes_types_and_label_rule():
    x_train, y_train, x_test, y_test = circle_task(n_train=300, n_test=100, seed=3)
    assert x_train.shape == (300, 2) and x_test.shape == (100, 2)
    assert x_train.dtype == x_test.dtype == np.float32
    assert y_train.dtype == y_test.dtype == np.int64
    for x, y in ((x_train, y_train), (x_test, y_test)):
        inside = np.sum(x.astype(np.float64) ** 2, axis=1) < 2 * np.log(2)
        np.testing.assert_array_equal(y, inside.astype(np.int64))


def test_circle_task_seeded_and_splits_differ():
    a, b = circle_task(seed=5), circle_task(seed=5)
    for u, v in zip(a, b):
        np.testing.assert_array_equal(u, v)
    assert not np.array_equal(circle_task(seed=6)[0], a[0])
    assert not np.any(np.all(a[2][:, None, :] == a[0][None, :, :], axis=2))


def test_circle_task_classes_balanced_and_label_even_in_x():
    x, y, _, _ = circle_task(n_train=20000, n_test=1, seed=0)
    assert abs(y.mean() - 0.5) < 0.02
    inside_of_minus_x = (np.sum((-x.astype(np.float64)) ** 2, axis=1) < 2 * np.log(2))
    np.testing.assert_array_equal(y, inside_of_minus_x.astype(np.int64))


@pytest.mark.parametrize("kwargs", [{"n_train": 0}, {"n_test": -1}, {"n_train": 2.5},
                                    {"n_test": True}])
def test_circle_task_bad_sizes_are_clear_errors(kwargs):
    with pytest.raises(ValueError, match=r"^circle_task: n_(train|test) must be a positive"):
        circle_task(**kwargs)


@pytest.mark.parametrize("k", [1, 2, 3])
def test_class_batches_have_k_classes_and_the_right_size(k):
    labels = np.repeat(np.arange(5), 7)
    gen = class_batches(labels, batch_size=6, classes_per_batch=k, seed=0)
    for _ in range(30):
        idx = next(gen)
        assert idx.dtype == np.int64 and idx.shape == (6,)
        assert len(np.unique(labels[idx])) == k
        assert len(set(idx.tolist())) == 6  # no repeats within a batch


def test_class_batches_visit_every_example_and_are_seeded():
    labels = torch.tensor([0] * 10 + [1] * 10)  # a tensor works too
    seen = np.concatenate([next(g) for g in [class_batches(labels, 5, seed=3)] for _ in range(40)])
    assert set(seen.tolist()) == set(range(20))
    a = [next(class_batches(labels, 5, seed=1)).tolist() for _ in range(2)]
    assert a[0] == a[1]


def test_class_batches_errors():
    with pytest.raises(ValueError, match="classes_per_batch"):
        next(class_batches([0, 1, 1], 4, classes_per_batch=3))
    with pytest.raises(ValueError, match="batch_size"):
        next(class_batches([0, 1, 1], 1, classes_per_batch=2))
