"""Write what the course keeps in one place into the files that show it.

    python tools/sync_course.py          (or: make sync)

- tools/course.py's REPO_URL into every notebook's bootstrap cell and every Colab badge (only
  those change; outputs and everything else stay as they are);
- each exercise's hints into the instructor guide. A notebook's hints are its collapsed cells
  ``<details><summary>Hint 1</summary> … </details>`` under the exercise; the guide quotes them
  between ``<!--hint:CELL-ID-->`` and ``<!--/hint-->``, so a learner working alone and an
  instructor read the same hints, written once (tests/test_tools.py checks they agree).
"""

from __future__ import annotations

import re
import sys
from pathlib import Path

import nbformat

sys.path.insert(0, str(Path(__file__).resolve().parent))
from course import (  # noqa: E402
    BADGE_PATTERN,
    BOOTSTRAP_FIRST_LINE,
    CJK,
    bootstrap_source,
    colab_prefix,
)

ROOT = Path(__file__).resolve().parent.parent
GUIDE = ROOT / "docs" / "instructor-guide.md"
HINT_SPAN = re.compile(r"<!--hint:(\S+?)-->(.*?)<!--/hint-->", re.S)
DETAILS = re.compile(r"<details><summary>(.*?)</summary>\s*(.*?)\s*</details>", re.S)


def hint_cells(notebook_paths) -> dict[str, str]:
    """{cell id: source} of every hint cell (a markdown cell of collapsed 'Hint' details)."""
    found = {}
    for path in notebook_paths:
        for cell in nbformat.read(path, as_version=4).cells:
            if cell.cell_type == "markdown" and DETAILS.search(cell.source) \
                    and cell.id.endswith("h"):
                found[cell.id] = cell.source
    return found


def hints_inline(source: str) -> str:
    """A hint cell as one line of the guide: '*Hint 1:* … *Hint 2:* …' ('*提示 1*：…' in
    Chinese, whose lines join without a space)."""
    parts = []
    for label, body in DETAILS.findall(source):
        body = " ".join(re.sub(f"(?<=[{CJK}])[ \t]*\n\\s*(?=[{CJK}])", "", body).split())
        chinese = re.search(f"[{CJK}]", label)
        parts.append(f"*{label.strip()}*：{body}" if chinese else f"*{label.strip()}:* {body}")
    return " ".join(parts)


def sync_hints(text: str, hints: dict[str, str]) -> str:
    """The guide's text with each hint span holding the notebook's hints; an unknown id is an
    error naming it."""
    def fill(m: re.Match) -> str:
        if m[1] not in hints:
            raise ValueError(f"the guide quotes hints of cell {m[1]}, which no notebook has")
        return f"<!--hint:{m[1]}-->{hints_inline(hints[m[1]])}<!--/hint-->"
    return HINT_SPAN.sub(fill, text)


def sync_notebook(path: Path) -> bool:
    nb = nbformat.read(path, as_version=4)
    changed = False
    for cell in nb.cells:
        new = cell.source
        if cell.cell_type == "code" and new.startswith(BOOTSTRAP_FIRST_LINE):
            new = bootstrap_source()
        elif cell.cell_type == "markdown":
            new = BADGE_PATTERN.sub(colab_prefix(), new)
        if new != cell.source:
            cell.source, changed = new, True
    if changed:
        nbformat.write(nb, path)
    return changed


def main() -> None:
    for path in sorted((ROOT / "notebooks").glob("*.ipynb")):
        print(f"{'updated' if sync_notebook(path) else 'in step'}: notebooks/{path.name}")
    readme = ROOT / "README.md"
    text = readme.read_text(encoding="utf-8")
    new = BADGE_PATTERN.sub(colab_prefix(), text)
    if new != text:
        readme.write_text(new, encoding="utf-8")
    print(f"{'updated' if new != text else 'in step'}: README.md")
    text = GUIDE.read_text(encoding="utf-8")
    new = sync_hints(text, hint_cells(sorted((ROOT / "notebooks").glob("*.ipynb"))))
    if new != text:
        GUIDE.write_text(new, encoding="utf-8")
    print(f"{'updated' if new != text else 'in step'}: docs/instructor-guide.md (hints)")


if __name__ == "__main__":
    main()
