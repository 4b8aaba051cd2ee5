"""Re-run notebooks top to bottom, each in one fresh kernel, and write their outputs back.

    python tools/execute_notebooks.py                       (or: make execute) - every notebook
    python tools/execute_notebooks.py notebooks/01_*.ipynb  - just these

Prints a table of each notebook's wall time and the total. Stops at the first failing notebook
(the failing notebook is not overwritten). Progress bars are off in the saved outputs
(TQDM_DISABLE=1 in the kernel's environment); a learner running the notebook still sees them.
Each notebook's wall time is saved in its metadata (``course.run_seconds``), where
``tools/study_time.py`` reads it; run ``python tools/study_time.py --write`` afterwards to put
the new times on the course maps (``make execute`` does both).
"""

from __future__ import annotations

import os
import sys
import time
from pathlib import Path

import nbformat
from nbclient import NotebookClient

ROOT = Path(__file__).resolve().parent.parent
CELL_TIMEOUT_S = 600


def execute(path: Path) -> float:
    nb = nbformat.read(path, as_version=4)
    client = NotebookClient(nb, timeout=CELL_TIMEOUT_S, kernel_name="python3",
                            resources={"metadata": {"path": str(path.parent)}},
                            record_timing=False)
    start = time.perf_counter()
    client.execute()
    seconds = time.perf_counter() - start
    nb.metadata.setdefault("course", {})["run_seconds"] = round(seconds, 1)  # for study_time.py
    nbformat.write(nb, path)
    return seconds


def main(args: list[str]) -> None:
    os.environ["TQDM_DISABLE"] = "1"  # the kernels inherit it: no progress-bar debris
    paths = [Path(a).resolve() for a in args] or sorted((ROOT / "notebooks").glob("*.ipynb"))
    rows = []
    for path in paths:
        print(f"running {path.name} ...", flush=True)
        rows.append((path.name, execute(path)))
    width = max(len(name) for name, _ in rows)
    print(f"\n{'notebook'.ljust(width)}  wall time")
    for name, seconds in rows:
        print(f"{name.ljust(width)}  {seconds:7.1f} s")
    print(f"{'total'.ljust(width)}  {sum(s for _, s in rows):7.1f} s")


if __name__ == "__main__":
    main(sys.argv[1:])
