"""How long each notebook takes to study, by one declared estimate, and the course maps built on it.

    python tools/study_time.py            print the table
    python tools/study_time.py --write    also write the numbers wherever the course states them
    python tools/study_time.py --check    exit 1 if any of those disagrees with the tool

Where the course states a study or run time (the README's course map, notebook 00's map, each
notebook's first cell, the instructor guide) it writes a span, ``<!--study:05-->…<!--/study-->``
or ``<!--run:05-->…<!--/run-->`` (``all`` for the course's totals), and this tool fills it in:
the numbers have one source. ``make execute`` runs ``--write`` after executing notebooks.

The estimate (CONTRIBUTING.md, "Study time"), for each part of a notebook:

    minutes = prose words / 150 + code lines / 15 + 5 per exercise + 1 per prediction
              (+ the notebook's run time, for the core)

- The **core** is every cell before the heading "## Going further", without two things that
  count as going further: the collapsed `<details>` notes ("How robust is this?", a derivation
  to open after trying) and the "## Exercises" section at the end of a notebook, up to the next
  "## " heading (practice after the session). The exercises worked inside the sections
  ("Exercise N.M", each with its check) are core. **Going further** is that section up to
  "## References".
- Prose words: words of the markdown cells (a formula counts as the words it is written with).
- Code lines: non-blank lines of the code cells, the parameters and bootstrap cells excluded.
- An exercise: a markdown heading "Exercise N.M" (worked in the notebook, with its check), or a
  numbered ★ item of the "## Exercises" list (an item marked "(above)", or one that names
  "exercise N.M above" or "below", points to a heading counted there).
- A prediction: each ``PREDICTION = `` (or ``PREDICTION_… = ``) a code cell sets.
- The run time: ``metadata.course.run_seconds``, written by ``tools/execute_notebooks.py``
  (``make execute``) when it runs the notebook top to bottom on this machine.
"""

from __future__ import annotations

import argparse
import math
import re
import sys
from dataclasses import dataclass
from pathlib import Path

import nbformat

ROOT = Path(__file__).resolve().parent.parent
NOTEBOOKS = ROOT / "notebooks"
WORDS_PER_MIN, LINES_PER_MIN, EXERCISE_MIN, PREDICTION_MIN = 150, 15, 5, 1
MAX_CORE_MIN = 60
DETAILS = re.compile(r"<details>.*?</details>", re.S)
SPAN = re.compile(r"<!--(study|run):(\d\d|all)-->(.*?)<!--/\1-->", re.S)  # filled in below
EXERCISE_HEADING = re.compile(r"^#{2,4} Exercise \d+\.\d+", re.M)
STAR_ITEM = re.compile(r"^\d+\. ★+ (.*)$", re.M)
# an item that points to a worked exercise ("(above)", "exercise 4.2 below") is counted there
POINTER = re.compile(r"^\(above\)|[Ee]xercise \d+\.\d+ (above|below)")


@dataclass
class Part:
    """What a reader meets in one part of a notebook."""

    words: int = 0
    code_lines: int = 0
    exercises: int = 0
    predictions: int = 0
    run_seconds: float = 0.0

    @property
    def minutes(self) -> float:
        return (self.words / WORDS_PER_MIN + self.code_lines / LINES_PER_MIN
                + EXERCISE_MIN * self.exercises + PREDICTION_MIN * self.predictions
                + self.run_seconds / 60)


@dataclass
class Estimate:
    """One notebook's study time: the core (section by section) and what goes further."""

    name: str
    sections: dict[str, Part]
    further: Part
    run_seconds_measured: float = 0.0

    @property
    def core(self) -> Part:
        total = Part(run_seconds=self.run_seconds_measured)
        for part in self.sections.values():
            total.words += part.words
            total.code_lines += part.code_lines
            total.exercises += part.exercises
            total.predictions += part.predictions
        return total

    @property
    def core_min(self) -> int:
        return math.ceil(self.core.minutes)

    @property
    def further_min(self) -> int:
        return math.ceil(self.further.minutes)

    @property
    def run_seconds(self) -> int:
        return round(self.run_seconds_measured)

    def part_min(self, numbers: list[int]) -> int:
        """Minutes for some numbered sections of the core, with the notebook's opening (its
        promise, objectives and set-up), its recap and its run time."""
        keep = {"0", "end", *(str(k) for k in numbers)}
        missing = [k for k in numbers if str(k) not in self.sections]
        if missing:
            raise ValueError(f"notebook {self.name[:2]} has no section {missing[0]}")
        return math.ceil(sum(p.minutes for k, p in self.sections.items() if k in keep)
                         + self.run_seconds_measured / 60)


def _add_markdown(part: Part, further: Part, source: str) -> None:
    """Count one markdown cell; its <details> notes go further; the times it states do not count."""
    source = SPAN.sub("", source)
    for note in DETAILS.findall(source):
        further.words += len(note.split())
    text = DETAILS.sub("", source)
    part.words += len(text.split())
    part.exercises += len(EXERCISE_HEADING.findall(text)) + sum(
        not POINTER.search(item) for item in STAR_ITEM.findall(text))


def estimate(path: Path) -> Estimate:
    """The study-time estimate of one notebook (see the module docstring for the rules).

    The core is also kept section by section (``Estimate.sections``: "0" is everything before
    the first numbered section "## 1 · …", then "1", "2", …, and "end" for the recap), so that
    an agenda can plan part of a notebook with the same rule."""
    nb = nbformat.read(path, as_version=4)
    sections: dict[str, Part] = {"0": Part()}
    further = Part()
    run_seconds = float(nb.metadata.get("course", {}).get("run_seconds", 0.0))
    part = sections["0"]  # where the cells count: a core section, or further
    in_exercises = in_further = False
    code_seen = 0
    for cell in nb.cells:
        source = cell.source
        if cell.cell_type == "markdown":
            for chunk in re.split(r"(?m)^(?=## )", source):
                if chunk.startswith("## References"):
                    return Estimate(path.stem, sections, further, run_seconds)
                if chunk.startswith("## "):
                    in_exercises = chunk.startswith("## Exercises")
                    in_further = in_further or chunk.startswith("## Going further")
                    number = re.match(r"## (\d+) ·", chunk)
                    numbered = [k for k in sections if k.isdigit() and k != "0"]
                    key = number[1] if number else ("end" if numbered else "0")
                    if not in_further and not in_exercises:
                        part = sections.setdefault(key, Part())
                target = further if in_exercises or in_further else part
                _add_markdown(target, further, chunk)
        elif cell.cell_type == "code":
            code_seen += 1
            if code_seen <= 2:  # the parameters and bootstrap cells: set-up, not study
                continue
            target = further if in_exercises or in_further else part
            target.code_lines += sum(1 for line in source.splitlines() if line.strip())
            target.predictions += len(re.findall(r"^PREDICTION\w* = ", source, re.M))
    return Estimate(path.stem, sections, further, run_seconds)


def estimates() -> list[Estimate]:
    return [estimate(p) for p in sorted(NOTEBOOKS.glob("*.ipynb"))]


def table(rows: list[Estimate]) -> str:
    lines = ["notebook                                   core  further  run  words  code  ex  pred",
             "-" * 84]
    for e in rows:
        lines.append(f"{e.name:<42} {e.core_min:>3} min {e.further_min:>4} min {e.run_seconds:>3} s"
                     f" {e.core.words:>6} {e.core.code_lines:>5} {e.core.exercises:>3}"
                     f" {e.core.predictions:>4}")
    total_run = sum(e.run_seconds for e in rows)
    lines.append(f"{'all':<42} {sum(e.core_min for e in rows):>3} min "
                 f"{sum(e.further_min for e in rows):>4} min {total_run:>3} s")
    return "\n".join(lines)


# ---- the course maps: every place that states a study or run time takes it from here ----

def span_text(kind: str, key: str, rows: list[Estimate]) -> str:
    """What a span says: a notebook's study time (core + going further) or run time, or the
    course's totals (key 'all')."""
    pick = rows if key == "all" else [e for e in rows if e.name[:2] == key]
    if not pick:
        raise ValueError(f"no notebook numbered {key}")
    core, further = sum(e.core_min for e in pick), sum(e.further_min for e in pick)
    run = sum(e.run_seconds for e in pick)
    if kind == "run":
        return f"{run} s" if key != "all" else f"{run} s ({run / 60:.1f} min)"
    if key == "all":
        return f"{core} min ({core / 60:.1f} h) core + {further} min going further"
    return f"{core} min" + (f" + {further} min going further" if further else "")


def fill_spans(text: str, rows: list[Estimate]) -> str:
    """Rewrite every ``<!--study:NN-->…<!--/study-->`` and ``<!--run:NN-->…<!--/run-->``."""
    return SPAN.sub(lambda m: f"<!--{m[1]}:{m[2]}-->{span_text(m[1], m[2], rows)}<!--/{m[1]}-->",
                    text)


AGENDA = re.compile(r"<!--agenda:(\S+) (\d+):(\d\d)(?: within (\d+):(\d\d))?\n(.*?)-->(.*?)"
                    r"<!--/agenda-->", re.S)
NOTEBOOK_ITEM = re.compile(r"^(\d\d(?:,\d\d)*)(?: §([\d,–-]+))?(?: \+(\d+))?$")
OTHER_ITEM = re.compile(r"^(.+?) (\d+)$")


def _title(name: str) -> str:
    """'05 · The batch-norm layer' from the notebook's first heading (up to its colon)."""
    first = nbformat.read(NOTEBOOKS / f"{name}.ipynb", as_version=4).cells[0].source
    heading = first.splitlines()[0].lstrip("# ").strip()
    return heading.split(":")[0]


def agenda_item(item: str, rows: list[Estimate]) -> tuple[str, int, bool]:
    """One line of an agenda's plan -> (what, minutes, is teaching time).

    'NN': notebook NN's core; 'NN §a–b' or 'NN §a,c': some of its numbered sections (with its
    opening and recap);
    'NN,MM,… +k': several notebooks at once (one per table), the longest core plus k minutes
    for the tables to present; 'label k' (e.g. 'break 15'): k minutes of something else."""
    by_number = {e.name[:2]: e for e in rows}
    if m := NOTEBOOK_ITEM.match(item):
        numbers = m[1].split(",")
        missing = [n for n in numbers if n not in by_number]
        if missing:
            raise ValueError(f"agenda: no notebook {missing[0]}")
        if m[2]:
            picked = []
            for piece in m[2].split(","):
                first, _, last = piece.replace("–", "-").partition("-")
                picked += range(int(first), int(last or first) + 1)
            minutes = by_number[numbers[0]].part_min(picked)
            what = f"{_title(by_number[numbers[0]].name)}, §{m[2]}"
        else:
            minutes = max(by_number[n].core_min for n in numbers)
            what = " · ".join(_title(by_number[n].name) if len(numbers) == 1 else n
                              for n in numbers)
            if len(numbers) > 1:
                what = f"{what}, one notebook per table"
        return what, minutes + int(m[3] or 0), True
    if m := OTHER_ITEM.match(item):
        return m[1], int(m[2]), False
    raise ValueError(f"agenda: cannot read the line {item!r}")


def agenda_table(name: str, start: str, plan: str, rows: list[Estimate]) -> str:
    """The agenda as a markdown table: each line of the plan with its times, then the totals."""
    hours, minutes = (int(x) for x in start.split(":"))
    clock = hours * 60 + minutes
    lines = ["| time | what | minutes | notes |", "|---|---|---|---|"]
    teaching = other = 0
    for raw in plan.strip().splitlines():
        item, _, notes = (x.strip() for x in raw.partition("|"))
        what, length, is_teaching = agenda_item(item, rows)
        teaching, other = teaching + length * is_teaching, other + length * (not is_teaching)
        end = clock + length
        lines.append(f"| {clock // 60}:{clock % 60:02d}–{end // 60}:{end % 60:02d} | {what} | "
                     f"{length} | {notes} |")
        clock = end
    lines.append("")
    lines.append(f"Notebooks {teaching} min, other {other} min: {teaching + other} min in all "
                 f"(study times by `tools/study_time.py`; the agenda is written by it).")
    return "\n".join(lines)


def agenda_minutes(plan: str, rows: list[Estimate]) -> int:
    """How long an agenda's plan takes in all, by the tool's numbers."""
    return sum(agenda_item(raw.partition("|")[0].strip(), rows)[1]
               for raw in plan.strip().splitlines())


def agendas_over(text: str, rows: list[Estimate]) -> list[str]:
    """The agendas in text whose plan runs past the length in their marker ('within H:MM')."""
    over = []
    for m in AGENDA.finditer(text):
        if m[4] is not None:
            limit, total = int(m[4]) * 60 + int(m[5]), agenda_minutes(m[6], rows)
            if total > limit:
                over.append(f"{m[1]}: {total} min planned within {limit}")
    return over


def fill_agendas(text: str, rows: list[Estimate]) -> str:
    """Rewrite every agenda's table from the plan in its opening marker."""
    def fill(m: re.Match) -> str:
        table = agenda_table(m[1], f"{m[2]}:{m[3]}", m[6], rows)
        within = f" within {m[4]}:{m[5]}" if m[4] is not None else ""
        return f"<!--agenda:{m[1]} {m[2]}:{m[3]}{within}\n{m[6]}-->\n{table}\n<!--/agenda-->"
    return AGENDA.sub(fill, text)


def map_files() -> list[Path]:
    """Files whose study and run times come from this tool: the README, the instructor guide,
    and every notebook (its first cell; notebook 00 also holds the course map)."""
    return [ROOT / "README.md", ROOT / "docs" / "instructor-guide.md",
            *sorted(NOTEBOOKS.glob("*.ipynb"))]


def write_maps(rows: list[Estimate], check: bool = False) -> list[str]:
    """Write (or, with check, only compare) every span; return the files out of step."""
    stale = []
    for path in map_files():
        if path.suffix == ".ipynb":
            nb = nbformat.read(path, as_version=4)
            changed = False
            for cell in nb.cells:
                if cell.cell_type == "markdown" and SPAN.search(cell.source):
                    new = fill_spans(cell.source, rows)
                    changed |= new != cell.source
                    cell.source = new
            if changed:
                stale.append(path.name)
                if not check:
                    nbformat.write(nb, path)
        else:
            text = path.read_text(encoding="utf-8")
            new = fill_agendas(fill_spans(text, rows), rows)
            if new != text:
                stale.append(path.name)
                if not check:
                    path.write_text(new, encoding="utf-8")
    return stale


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--write", action="store_true", help="write the course maps")
    parser.add_argument("--check", action="store_true", help="fail if a map is out of step")
    args = parser.parse_args(argv)
    rows = estimates()
    print(table(rows))
    over = [e.name for e in rows if e.core_min > MAX_CORE_MIN]
    if over:
        print(f"\ncores over {MAX_CORE_MIN} min: {', '.join(over)}")
    if args.write or args.check:
        stale = write_maps(rows, check=args.check)
        verb = "out of step" if args.check else "rewritten"
        print(f"\ncourse maps {verb}: {', '.join(stale) or 'none'}")
        guide = (ROOT / "docs" / "instructor-guide.md").read_text(encoding="utf-8")
        for line in agendas_over(guide, rows):
            print(f"agenda over its length: {line}")
        if args.check and (stale or agendas_over(guide, rows)):
            return 1
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
