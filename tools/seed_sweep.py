"""Run a notebook under several seeds to check that its claims hold for any SEED.

    python tools/seed_sweep.py notebooks/01_internal_covariate_shift.ipynb --seeds 0 1 2 3 4

Each run replaces the parameters cell's `SEED = ...` line, executes the notebook top to bottom in
a fresh kernel (nothing is written back) and reports whether every cell, check cells included,
passed, with the failing claim if not.
"""

from __future__ import annotations

import argparse
import re
import time
from pathlib import Path

import nbformat
from nbclient import NotebookClient
from nbclient.exceptions import CellExecutionError


def with_seed(nb, seed: int):
    nb = nbformat.from_dict(nb)
    cell = next(c for c in nb.cells if "parameters" in c.metadata.get("tags", []))
    cell.source, count = re.subn(r"^SEED\s*=.*$", f"SEED = {seed}", cell.source, flags=re.M)
    if count != 1:
        raise ValueError("the parameters cell must hold exactly one line `SEED = ...`")
    return nb


def run(path: Path, seed: int) -> tuple[bool, float, str]:
    nb = with_seed(nbformat.read(path, as_version=4), seed)
    client = NotebookClient(nb, timeout=600, kernel_name="python3",
                            resources={"metadata": {"path": str(path.parent)}})
    start = time.perf_counter()
    try:
        client.execute()
        return True, time.perf_counter() - start, ""
    except CellExecutionError as err:
        lines = [ln for ln in str(err).splitlines() if "Error" in ln or "\u2718" in ln]
        return False, time.perf_counter() - start, (lines[-1] if lines else str(err)[-300:])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("notebook", type=Path)
    parser.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2, 3, 4])
    args = parser.parse_args()
    results = [(seed, *run(args.notebook.resolve(), seed)) for seed in args.seeds]
    for seed, ok, seconds, why in results:
        print(f"SEED={seed:<4} {'pass' if ok else 'FAIL'}  {seconds:6.1f} s  {why}")
    print(f"{sum(ok for _, ok, _, _ in results)} passed, "
          f"{sum(not ok for _, ok, _, _ in results)} failed")


if __name__ == "__main__":
    main()
