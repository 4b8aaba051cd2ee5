"""Shared test set-up: a non-interactive plot backend and the repository paths."""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path

os.environ.setdefault("TQDM_DISABLE", "1")  # read by tqdm when it is first imported

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tools"))  # tools/ scripts are importable as modules in tests


def pytest_configure(config):
    """In every process that runs tests: a non-interactive plot backend, and one thread for
    torch, as helpers.environment.setup does (small nets, shared cores). pytest-xdist's
    controller only hands out tests, so it skips the two imports (torch takes seconds)."""
    if config.getoption("numprocesses", None) and "PYTEST_XDIST_WORKER" not in os.environ:
        return
    import matplotlib
    import torch

    matplotlib.use("Agg")
    torch.set_num_threads(1)


def pytest_collection_modifyitems(items):
    """Long tests first: the notebooks under nbval (each with its hand-out beside it,
    tests/handout_check.py), the longest first by the run time `make execute` stored in each
    notebook, then the many short unit tests, so that pytest-xdist (run with
    --no-loadscope-reorder) fills the end of the run on both cores. The sort is stable: a
    notebook's cells keep their order (and stay in one xdist scope)."""
    seconds: dict[Path, float] = {}

    def key(item):
        path = Path(item.path)
        if path.suffix != ".ipynb":
            return (1, 0.0)
        if path not in seconds:
            course = json.loads(path.read_text(encoding="utf-8"))["metadata"].get("course", {})
            seconds[path] = float(course.get("run_seconds", 0.0))
        return (0, -seconds[path])

    items.sort(key=key)
