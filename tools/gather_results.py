"""Gather a room's class-wide seed experiment: one table and one figure per notebook.

    python tools/gather_results.py [results/] [--out results/summary]

Each participant runs a notebook with their own SEED and RECORD = True, e.g.
`papermill notebooks/01_internal_covariate_shift.ipynb out.ipynb -p SEED 17 -p RECORD True`,
which writes results/01_seed17.json (helpers.workshop). Collect everyone's files into one
folder; this command writes <out>/NN.md (a table: each measurement's median, range and number of
seeds, with the committed seed 0's value) and <out>/NN.png (each measurement's distribution over
the participants, seed 0 marked), plus how the room predicted, per question.
"""

from __future__ import annotations

import argparse
import json
from collections import Counter, defaultdict
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402


def load(folder: Path) -> dict[str, list[dict]]:
    """notebook -> the records of every seed found in folder (files NN_seed<S>.json)."""
    runs: dict[str, list[dict]] = defaultdict(list)
    for path in sorted(folder.glob("*_seed*.json")):
        data = json.loads(path.read_text(encoding="utf-8"))
        runs[data["notebook"]].append(data)
    if not runs:
        raise SystemExit(f"no results files (NN_seed<S>.json) in {folder}")
    return dict(runs)


def table(records: list[dict]) -> str:
    """A markdown table: measurement, seeds, median, min, max, committed seed 0."""
    rows = ["| measurement | seeds | median | min | max | seed 0 |", "|---|---|---|---|---|---|"]
    for name in sorted({k for r in records for k in r["measurements"]}):
        values = [r["measurements"].get(name) for r in records]
        values = np.array([v for v in values if v is not None], dtype=float)
        seed0 = next((r["measurements"].get(name) for r in records if r["seed"] == 0), None)
        cells = [f"{np.median(values):.4g}", f"{values.min():.4g}", f"{values.max():.4g}"] \
            if len(values) else ["–"] * 3
        rows.append(f"| {name} | {len(values)} | " + " | ".join(cells)
                    + f" | {'–' if seed0 is None else f'{seed0:.4g}'} |")
    return "\n".join(rows)


def predictions(records: list[dict]) -> str:
    """How the room predicted, per question: counts of each choice, and the measured answer."""
    lines = []
    for question in sorted({q for r in records for q in r["predictions"]}):
        picks = [r["predictions"][question] for r in records if question in r["predictions"]]
        counts = Counter(p["prediction"] or "none" for p in picks)
        answers = sorted({str(p["answer"]) for p in picks})
        lines.append(f"- {question}: " + ", ".join(f"({k}) {v}" for k, v in sorted(counts.items()))
                     + f"; measured answer: {', '.join(answers)}")
    return "\n".join(lines)


def figure(notebook: str, records: list[dict], path: Path) -> None:
    """One panel per measurement: every participant's value as a dot, seed 0 as a red star."""
    names = sorted({k for r in records for k in r["measurements"]})
    fig, axes = plt.subplots(1, max(len(names), 1), figsize=(3.2 * max(len(names), 1), 3.2),
                             squeeze=False)
    for ax, name in zip(axes[0], names):
        pairs = [(r["seed"], r["measurements"].get(name)) for r in records]
        values = [v for _, v in pairs if v is not None]
        jitter = np.random.default_rng(0).uniform(-0.08, 0.08, len(values))
        ax.scatter(jitter, values, s=18, alpha=0.7, label=f"{len(values)} seeds")
        ax.scatter([0] * sum(s == 0 and v is not None for s, v in pairs),
                   [v for s, v in pairs if s == 0 and v is not None], marker="*", s=160,
                   color="C3", label="committed seed 0")
        ax.set(xticks=[], xlim=(-0.5, 0.5), title=name, ylabel="value")
        ax.legend(fontsize="x-small")
    fig.suptitle(f"Notebook {notebook}: the room's measurements")
    fig.tight_layout()
    fig.savefig(path, dpi=100)
    plt.close(fig)


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("folder", type=Path, nargs="?", default=Path("results"))
    parser.add_argument("--out", type=Path, default=None, help="default: <folder>/summary")
    args = parser.parse_args(argv)
    out = args.out or args.folder / "summary"
    out.mkdir(parents=True, exist_ok=True)
    for notebook, records in sorted(load(args.folder).items()):
        text = f"# Notebook {notebook}: {len(records)} runs\n\n{table(records)}\n"
        if any(r["predictions"] for r in records):
            text += f"\n## Predictions\n\n{predictions(records)}\n"
        (out / f"{notebook}.md").write_text(text, encoding="utf-8")
        figure(notebook, records, out / f"{notebook}.png")
        print(f"notebook {notebook}: {len(records)} runs -> {out / notebook}.md, .png")


if __name__ == "__main__":
    main()
