"""Before publishing: fail with a clear message while the course still points at a placeholder.

    python tools/release_check.py        (or: make release-check)

Checks that tools/course.py's REPO_URL is set to a real repository (not PLACEHOLDER_URL), and
that every notebook's bootstrap cell and Colab badge, and the README's badge, use it (`make
sync` writes them). Everyday `make test` does not run this.
"""

from __future__ import annotations

import sys
from pathlib import Path

import nbformat

sys.path.insert(0, str(Path(__file__).resolve().parent))
from course import PLACEHOLDER_URL, REPO_URL, bootstrap_source, colab_badge  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent


def problems(repo_url: str = REPO_URL) -> list[str]:
    """What stops a release: a placeholder URL, or notebooks/README out of step with it."""
    found = []
    if repo_url == PLACEHOLDER_URL:
        found.append(f"REPO_URL in tools/course.py is still the placeholder {PLACEHOLDER_URL}: "
                     "set it to the course's public repository, then run `make sync`")
    for path in sorted((ROOT / "notebooks").glob("*.ipynb")):
        nb = nbformat.read(path, as_version=4)
        sources = [c.source for c in nb.cells]
        if bootstrap_source(repo_url) not in sources or colab_badge(path.name, repo_url) \
                not in sources[0]:
            found.append(f"notebooks/{path.name} does not use REPO_URL: run `make sync`")
    if colab_badge("00_start_here.ipynb", repo_url) not in (ROOT / "README.md").read_text():
        found.append("README.md's Colab badge does not use REPO_URL: run `make sync`")
    return found


def main() -> int:
    found = problems()
    for line in found:
        print(f"release check: {line}")
    print("release check: " + ("FAILED" if found else f"ready to publish {REPO_URL}"))
    return 1 if found else 0


if __name__ == "__main__":
    sys.exit(main())
