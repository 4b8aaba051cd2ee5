import hashlib
import shutil

import numpy as np
import pytest

from helpers import data
from helpers.data import MNIST_FILE, MNIST_SHA256, correlated_gaussians, load_mnist, two_gaussians


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


def test_two_gaussians_labels_and_seed():
    x, y = two_gaussians(100, seed=3)
    assert x.shape == (200, 2) and y.shape == (200,) and set(y) == {0, 1}
    np.testing.assert_array_equal(x, two_gaussians(100, seed=3)[0])
    with pytest.raises(ValueError, match="positive integer"):
        two_gaussians(0)
