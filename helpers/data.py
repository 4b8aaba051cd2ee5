"""Data for the course, all offline: a 5,000-image MNIST subset and small synthetic sets.

- ``load_mnist(split)``: float32 images in [0, 1], shape (N, 784), and int64 labels.
  The file ``data/mnist_5k.npz`` ships with the course (see data/README.md for provenance);
  its SHA-256 is verified on every load.
- ``correlated_gaussians``: seeded synthetic 2-D data for notebooks 03-04.
- ``circle_task``: the seeded 2-D task of notebook 04 (inside / outside a circle), reused in 05.
- ``class_batches``: a sampler of non-i.i.d. mini-batches (one or a few classes each), notebook 06.

Taught in notebook 00.
"""

from __future__ import annotations

import hashlib
from functools import lru_cache
from pathlib import Path

import numpy as np

DATA_DIR = Path(__file__).resolve().parent.parent / "data"
MNIST_FILE = DATA_DIR / "mnist_5k.npz"
MNIST_SHA256 = "b4f4e896bf98eba53eedee42d7ccf7252237440981f2d89348e10fdebf768c7c"
SPLITS = ("train", "test")
RESTORE_HINT = ("Restore it with `git checkout -- data/mnist_5k.npz` (or a fresh clone of the "
                "course), or rebuild it with `python data/make_mnist_npz.py`.")


def load_mnist(split: str = "train", path: str | Path | None = None
               ) -> tuple[np.ndarray, np.ndarray]:
    """Load one split of the course's MNIST subset (4,000 train / 1,000 test, 10 balanced digits).

    split: "train" or "test".
    path: the .npz file; None means data/mnist_5k.npz in the course folder.
    Returns (x, y): x float32 of shape (N, 784) scaled to [0, 1]; y int64 of shape (N,).
    Raises FileNotFoundError / ValueError naming the file and how to restore it.
    """
    if split not in SPLITS:
        raise ValueError(f"load_mnist: split must be 'train' or 'test', got {split!r}")
    arrays = _read_verified(str(Path(path) if path is not None else MNIST_FILE))
    x = arrays[f"x_{split}"].astype(np.float32) / 255.0
    return x, arrays[f"y_{split}"].astype(np.int64)


@lru_cache(maxsize=2)
def _read_verified(path: str) -> dict[str, np.ndarray]:
    file = Path(path)
    if not file.is_file():
        raise FileNotFoundError(f"MNIST data file not found: {file}. {RESTORE_HINT}")
    digest = hashlib.sha256(file.read_bytes()).hexdigest()
    if file.resolve() == MNIST_FILE.resolve() and digest != MNIST_SHA256:
        raise ValueError(f"MNIST data file {file} is corrupt: its SHA-256 is {digest}, expected "
                         f"{MNIST_SHA256}. {RESTORE_HINT}")
    with np.load(file) as npz:
        arrays = {k: npz[k] for k in npz.files}
    missing = {"x_train", "y_train", "x_test", "y_test"} - set(arrays)
    if missing:
        raise ValueError(f"{file} lacks the arrays {sorted(missing)}. {RESTORE_HINT}")
    return arrays


def correlated_gaussians(n: int = 500, rho: float = 0.8, scales=(2.0, 0.5), mean=(1.0, -1.0),
                         seed: int = 0) -> np.ndarray:
    """Samples from a 2-D Gaussian with correlation ``rho`` and per-axis standard deviations.

    Σ = [[s0², ρ s0 s1], [ρ s0 s1, s1²]]. Returns a float64 array of shape (n, 2).
    """
    if not isinstance(n, (int, np.integer)) or n < 2:
        raise ValueError(f"correlated_gaussians: n must be an integer ≥ 2, got {n!r}")
    if not -1 < rho < 1:
        raise ValueError(f"correlated_gaussians: rho must lie strictly between -1 and 1, got {rho}")
    s0, s1 = _pair(scales, "scales")
    if s0 <= 0 or s1 <= 0:
        raise ValueError(f"correlated_gaussians: scales must be positive, got {scales}")
    cov = np.array([[s0**2, rho * s0 * s1], [rho * s0 * s1, s1**2]])
    rng = np.random.default_rng(seed)
    return rng.multivariate_normal(np.asarray(_pair(mean, "mean")), cov, size=n)


def _pair(values, name: str) -> tuple[float, float]:
    arr = np.asarray(values, dtype=np.float64)
    if arr.shape != (2,):
        raise ValueError(f"{name} must hold two numbers, got shape {arr.shape}")
    return float(arr[0]), float(arr[1])


def circle_task(n_train: int = 2000, n_test: int = 1000, seed: int = 0
                ) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Is the point inside the circle? A 2-D task whose answer is the same at x and at −x.

    x ~ N(0, I₂); label y = 1 if ‖x‖² < r₀² = 2 ln 2 (the median of ‖x‖², so the classes are
    balanced in expectation), else 0. The label is an even function of x, which a sigmoid or
    tanh network whose pre-activations are standardized without a learnable shift β cannot
    represent (notebook 04); the same task is the ablation of notebook 05.

    n_train, n_test: positive numbers of points; both splits come from one generator seeded
    with ``seed``. Returns (x_train, y_train, x_test, y_test): x float32 of shape (n, 2),
    y int64 of shape (n,), ready for ``helpers.training.train(model, data=...)``.
    """
    for name, n in (("n_train", n_train), ("n_test", n_test)):
        if isinstance(n, bool) or not isinstance(n, (int, np.integer)) or n < 1:
            raise ValueError(f"circle_task: {name} must be a positive integer, got {n!r}")
    rng = np.random.default_rng(seed)
    x = rng.standard_normal((n_train + n_test, 2))
    y = (np.sum(x**2, axis=1) < 2 * np.log(2)).astype(np.int64)
    x = x.astype(np.float32)
    return x[:n_train], y[:n_train], x[n_train:], y[n_train:]


def class_batches(labels, batch_size: int, classes_per_batch: int = 1, seed: int = 0):
    """Endless non-i.i.d. mini-batches: each one drawn from ``classes_per_batch`` random classes.

    Every batch picks its classes at random (uniformly, without repetition), then splits
    batch_size as evenly as possible among them; each class's examples are visited in a seeded
    shuffled order, reshuffled when used up (no example twice in a batch unless its class is
    smaller than its share). labels: (N,) integer class labels (array or tensor).
    Yields int64 index arrays of shape (batch_size,), for ``train(..., batches=...)``.
    Taught in notebook 06.
    """
    labels = np.asarray(labels.cpu() if hasattr(labels, "cpu") else labels)  # tensors too
    classes = np.unique(labels)
    if not isinstance(classes_per_batch, int) or not 1 <= classes_per_batch <= len(classes):
        raise ValueError(f"class_batches: classes_per_batch must be an integer in "
                         f"[1, {len(classes)}], got {classes_per_batch!r}")
    if not isinstance(batch_size, int) or batch_size < classes_per_batch:
        raise ValueError(f"class_batches: batch_size must be an integer ≥ classes_per_batch "
                         f"({classes_per_batch}), got {batch_size!r}")
    rng = np.random.default_rng(seed)
    pools = {c: np.flatnonzero(labels == c) for c in classes}
    order = {c: rng.permutation(p) for c, p in pools.items()}
    while True:
        chosen = rng.choice(classes, size=classes_per_batch, replace=False)
        counts = np.diff(np.linspace(0, batch_size, classes_per_batch + 1).round().astype(int))
        parts = []
        for c, k in zip(chosen, counts):
            while len(order[c]) < k:  # next pass over the class; no repeats within a batch
                fresh = rng.permutation(pools[c])
                if len(pools[c]) >= k:
                    fresh = fresh[~np.isin(fresh, order[c])]
                order[c] = np.concatenate([order[c], fresh])
            parts.append(order[c][:k])
            order[c] = order[c][k:]
        yield np.concatenate(parts).astype(np.int64)
