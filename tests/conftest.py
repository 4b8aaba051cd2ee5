"""Shared test set-up: a non-interactive plot backend and the repository paths."""

from __future__ import annotations

import os
import sys
from pathlib import Path

import matplotlib
import torch

matplotlib.use("Agg")
os.environ.setdefault("TQDM_DISABLE", "1")  # read by tqdm when it is first imported
torch.set_num_threads(1)  # as helpers.environment.setup does: small nets, shared cores

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tools"))  # tools/ scripts are importable as modules in tests


def pytest_collection_modifyitems(items):
    """Long tests first: the notebooks under nbval (each with its hand-out beside it,
    tests/handout_check.py), then the many short unit tests, so that pytest-xdist fills the end
    of the run on both cores. The sort is stable: a notebook's cells keep their order (and stay
    in one xdist scope)."""
    items.sort(key=lambda item: 0 if str(item.path).endswith(".ipynb") else 1)
