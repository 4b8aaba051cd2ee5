"""Write tools/course.py's REPO_URL into every notebook's bootstrap cell and every Colab badge.

    python tools/sync_course.py          (or: make sync)

Only the bootstrap cell and badge links change; outputs and everything else stay as they are.
"""

from __future__ import annotations

import sys
from pathlib import Path

import nbformat

sys.path.insert(0, str(Path(__file__).resolve().parent))
from course import (  # noqa: E402
    BADGE_PATTERN,
    BOOTSTRAP_FIRST_LINE,
    bootstrap_source,
    colab_prefix,
)

ROOT = Path(__file__).resolve().parent.parent


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


if __name__ == "__main__":
    main()
