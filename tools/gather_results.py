"""Gather a room's class-wide seed experiment: one table and one figure per notebook.

    python tools/gather_results.py [results/] [--out results/summary]
    python tools/gather_results.py [results/] --predictions     (before the reveal)

Each participant runs a notebook with their own SEED and RECORD = True, e.g.
`papermill notebooks/01_internal_covariate_shift.ipynb out.ipynb -p SEED 17 -p RECORD True`,
which writes results/01_seed17.json (helpers.workshop) and prints one line, `icsbn/1 01 …`,
at the end of the notebook. Collect everyone's files into one folder, or paste the lines (from
the room's chat or a shared document, Colab included) into any .txt file in that folder: both
are read. This command writes <out>/NN.md (a table: each measurement's median, range and number
of seeds, with the committed seed 0's value) and <out>/NN.png (each measurement's distribution
over the participants, seed 0 marked), plus how the room predicted, per question. Seed 0's values
come from docs/seed-table.md when nobody in the room ran seed 0.

--predictions prints and plots only the room's predictions so far (<out>/NN_predictions.png),
without the answers: show it before anyone reveals. Runs of an answer key (a committed notebook
rather than a hand-out) are left out of every tally of predictions.
"""

from __future__ import annotations

import argparse
import json
import re
import sys
from collections import Counter, defaultdict
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
from helpers.workshop import parse_line  # noqa: E402


def load(folder: Path) -> dict[str, list[dict]]:
    """notebook -> one record per seed, from results files (NN_seed<S>.json) and from pasted
    lines (icsbn/1 …) in any .txt file of the folder; a later copy of a seed replaces an earlier."""
    found: dict[tuple[str, int], dict] = {}
    for path in sorted(folder.glob("*_seed*.json")):
        data = json.loads(path.read_text(encoding="utf-8"))
        found[(data["notebook"], data["seed"])] = data
    for path in sorted(folder.glob("*.txt")):
        for line in path.read_text(encoding="utf-8").splitlines():
            if (data := parse_line(line)) is not None:
                found[(data["notebook"], data["seed"])] = data
    if not found:
        raise SystemExit(f"no results files (NN_seed<S>.json) or pasted lines in {folder}")
    runs: dict[str, list[dict]] = defaultdict(list)
    for (notebook, _), data in sorted(found.items()):
        runs[notebook].append(data)
    return dict(runs)


def committed_seed(notebook: str, table_path: Path = ROOT / "docs" / "seed-table.md") -> dict:
    """Seed 0's measurements for a notebook, from docs/seed-table.md's 'seed 0' column."""
    if not table_path.exists():
        return {}
    sections = re.split(r"^## Notebook (\d\d)\b.*$", table_path.read_text("utf-8"), flags=re.M)
    text = dict(zip(sections[1::2], sections[2::2])).get(notebook, "")
    values = {}
    for name, seed0 in re.findall(r"^\| (\w+) \|[^|\n]*\|[^|\n]*\|[^|\n]*\|[^|\n]*\| "
                                  r"([-0-9.e+]+) \|$", text, re.M):
        values[name] = float(seed0)
    return values


def with_committed_seed(notebook: str, records: list[dict]) -> list[dict]:
    """The records, plus seed 0 from the seed table when nobody in the room ran it."""
    if any(r["seed"] == 0 for r in records) or not (values := committed_seed(notebook)):
        return records
    return [*records, {"notebook": notebook, "seed": 0, "committed": True, "answer_key": True,
                       "measurements": values, "predictions": {}}]


def table(records: list[dict]) -> str:
    """A markdown table: measurement, seeds, median, min, max, committed seed 0."""
    rows = ["| measurement | seeds | median | min | max | seed 0 |", "|---|---|---|---|---|---|"]
    room = [r for r in records if not r.get("committed")]
    for name in sorted({k for r in room for k in r["measurements"]}):
        values = [r["measurements"].get(name) for r in room]
        values = np.array([v for v in values if v is not None], dtype=float)
        seed0 = next((r["measurements"].get(name) for r in records if r["seed"] == 0), None)
        cells = [f"{np.median(values):.4g}", f"{values.min():.4g}", f"{values.max():.4g}"] \
            if len(values) else ["–"] * 3
        rows.append(f"| {name} | {len(values)} | " + " | ".join(cells)
                    + f" | {'–' if seed0 is None else f'{seed0:.4g}'} |")
    return "\n".join(rows)


def tally(records: list[dict]) -> dict[str, Counter]:
    """question -> how many learners picked each choice, answer keys' runs left out."""
    learners = [r for r in records if not r.get("answer_key")]
    return {q: Counter(r["predictions"][q].get("prediction") or "none"
                       for r in learners if q in r["predictions"])
            for q in sorted({q for r in learners for q in r["predictions"]})}


def predictions(records: list[dict], with_answers: bool = True) -> str:
    """How the room predicted, per question: counts of each choice (and the measured answer)."""
    lines = []
    for question, counts in tally(records).items():
        line = f"- {question}: " + ", ".join(f"({k}) {v}" for k, v in sorted(counts.items()))
        if with_answers:
            answers = sorted({str(r["predictions"][question].get("answer"))
                              for r in records if question in r["predictions"]
                              and r["predictions"][question].get("answer")})
            line += f"; measured answer: {', '.join(answers) or 'not revealed yet'}"
        lines.append(line)
    keys = sum(bool(r.get("answer_key")) and not r.get("committed") for r in records)
    if keys:
        lines.append(f"- ({keys} run{'s' if keys > 1 else ''} of an answer key left out)")
    return "\n".join(lines)


def prediction_figure(notebook: str, records: list[dict], path: Path) -> None:
    """One bar chart per question: how many learners picked (a), (b), (c), no answer."""
    counts = tally(records)
    fig, axes = plt.subplots(1, max(len(counts), 1), figsize=(3.2 * max(len(counts), 1), 3.0),
                             squeeze=False)
    for ax, (question, c) in zip(axes[0], counts.items()):
        labels = ["a", "b", "c", "none"]
        ax.bar(labels, [c.get(k, 0) for k in labels], color="C0")
        ax.set(title=question, xlabel="prediction", ylabel="learners")
    fig.suptitle(f"Notebook {notebook}: the room's predictions (before the reveal)")
    fig.tight_layout()
    fig.savefig(path, dpi=100)
    plt.close(fig)


def figure(notebook: str, records: list[dict], path: Path) -> None:
    """One panel per measurement: every participant's value as a dot, seed 0 as a red star."""
    names = sorted({k for r in records for k in r["measurements"]})
    fig, axes = plt.subplots(1, max(len(names), 1), figsize=(3.2 * max(len(names), 1), 3.2),
                             squeeze=False)
    for ax, name in zip(axes[0], names):
        pairs = [(r["seed"], r["measurements"].get(name)) for r in records]
        values = [v for r, (_, v) in zip(records, pairs)
                  if not r.get("committed") and v is not None]
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
    parser.add_argument("--predictions", action="store_true",
                        help="only the room's predictions so far, without the answers")
    args = parser.parse_args(argv)
    out = args.out or args.folder / "summary"
    out.mkdir(parents=True, exist_ok=True)
    if args.predictions:
        for notebook, records in sorted(load(args.folder).items()):
            print(f"notebook {notebook}:\n{predictions(records, with_answers=False)}")
            prediction_figure(notebook, records, out / f"{notebook}_predictions.png")
        return
    for notebook, records in sorted(load(args.folder).items()):
        records = with_committed_seed(notebook, records)
        text = f"# Notebook {notebook}: {len(records)} runs\n\n{table(records)}\n"
        if any(r["predictions"] for r in records):
            text += f"\n## Predictions\n\n{predictions(records)}\n"
        (out / f"{notebook}.md").write_text(text, encoding="utf-8")
        figure(notebook, records, out / f"{notebook}.png")
        print(f"notebook {notebook}: {len(records)} runs -> {out / notebook}.md, .png")


if __name__ == "__main__":
    main()
