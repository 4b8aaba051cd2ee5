"""Run a notebook under several seeds to check that its claims hold for any SEED.

    python tools/seed_sweep.py notebooks/01_internal_covariate_shift.ipynb --seeds 0 1 2 3 4
    python tools/seed_sweep.py notebooks/01_*.ipynb --seeds $(seq 0 29) --jobs 2

Each run is papermill's: the notebook's `parameters` cell is followed by an injected
`SEED = <seed>`, and the notebook runs top to bottom in a fresh kernel (the same as
`papermill notebooks/01_….ipynb out.ipynb -p SEED 3`; nothing is written back to the notebook).
Reports whether every cell, check cells included, passed, with the failing claim if not.
--jobs runs that many seeds at once (one per CPU core). --record DIR also sets `RECORD = True`,
so each run saves its headline numbers and prediction answers to DIR/NN_seed<seed>.json for
`tools/gather_results.py` (the class-wide seed experiment, simulated).
--keep-going runs every cell even after one fails, and lists every failing check of each seed
(without it a run stops at the first failure, as Run All does).
"""

from __future__ import annotations

import argparse
import os
import tempfile
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

import nbformat
import papermill


def run(path: Path, seed: int, record: Path | None = None, keep_going: bool = False
        ) -> tuple[int, bool, float, str]:
    """Execute ``path`` with SEED = seed; return (seed, passed, seconds, why it failed).

    record: a folder; when given, the run also sets RECORD = True and saves its results there.
    keep_going: run every cell even after one fails; "why" then lists every failure, " | "-joined.
    """
    os.environ["TQDM_DISABLE"] = "1"
    parameters = {"SEED": seed}
    if record is not None:
        os.environ["COURSE_RESULTS"] = str(record)
        parameters["RECORD"] = True
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / path.name
        try:
            nb = papermill.execute_notebook(str(path), str(out), parameters=parameters,
                                            kernel_name="python3", cwd=str(path.parent),
                                            progress_bar=False, log_output=False,
                                            allow_errors=keep_going)
            seconds = nb.metadata.papermill.duration
            return seed, True, seconds, ""
        except papermill.PapermillExecutionError as err:
            if keep_going:
                return seed, False, float("nan"), " | ".join(_failures(out))
            lines = [ln for ln in str(err).splitlines() if "Error" in ln or "\u2718" in ln]
            return seed, False, float("nan"), (lines[-1] if lines else str(err)[-300:])


def _failures(executed: Path) -> list[str]:
    """Every error an executed notebook shows: "cell <id>: <exception> <message>"."""
    nb = nbformat.read(executed, as_version=4)
    return [f"cell {cell.get('id')}: {out.ename} {out.evalue}"
            for cell in nb.cells if cell.cell_type == "code"
            for out in cell.get("outputs", []) if out.output_type == "error"]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("notebook", type=Path)
    parser.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2, 3, 4])
    parser.add_argument("--jobs", type=int, default=1, help="seeds run at once")
    parser.add_argument("--record", type=Path, default=None,
                        help="folder for each run's results file (sets RECORD = True)")
    parser.add_argument("--keep-going", action="store_true",
                        help="run every cell after a failure and list every failing check")
    args = parser.parse_args()
    path = args.notebook.resolve()
    record = args.record.resolve() if args.record else None
    n = len(args.seeds)
    with ProcessPoolExecutor(max_workers=args.jobs) as pool:
        results = list(pool.map(run, [path] * n, args.seeds, [record] * n,
                                [args.keep_going] * n))
    for seed, ok, seconds, why in results:
        print(f"SEED={seed:<4} {'pass' if ok else 'FAIL'}  {seconds:6.1f} s  {why}", flush=True)
    passed = sum(ok for _, ok, _, _ in results)
    print(f"{path.name}: {passed} passed, {len(results) - passed} failed")


if __name__ == "__main__":
    main()
