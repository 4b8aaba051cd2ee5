"""The course's whole test suite, as `make test` runs it (and the Windows route, without make).

    python tools/run_tests.py [extra pytest arguments]

1. ruff over helpers/, tests/, tools/, data/ and the notebooks;
2. pytest: the unit tests in tests/ and nbval over every notebook (settings in pyproject.toml),
   spread over every CPU core by pytest-xdist (each notebook's cells stay on one worker; the
   longest notebooks start first, tests/conftest.py). Beside each notebook, in its kernel, its
   hand-out's Run All is checked (tests/handout_check.py).
Exits non-zero if either fails. Progress bars are off (TQDM_DISABLE=1).
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def main(extra: list[str]) -> int:
    env = dict(os.environ, TQDM_DISABLE="1", MPLBACKEND="Agg", PYTHONHASHSEED="0")
    # The suite starts some 30 Pythons that import torch: each module is compiled once, when it
    # is first imported, and kept in .venv, also where the environment turns that cache off.
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    lint = [sys.executable, "-m", "ruff", "check", "helpers", "tests", "tools", "data",
            "notebooks"]
    print("$ " + " ".join(lint[2:]), flush=True)
    if subprocess.run(lint, cwd=ROOT, env=env).returncode != 0:
        return 1
    tests = [sys.executable, "-m", "pytest", "-n", "auto", "--dist", "loadscope",
             "--no-loadscope-reorder", *extra]  # the order tests/conftest.py sets
    print("$ " + " ".join(tests[2:]), flush=True)
    return subprocess.run(tests, cwd=ROOT, env=env).returncode


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
