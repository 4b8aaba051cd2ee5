"""The course's identity in one place: its repository URL, the notebooks' bootstrap cell, badges.

Publishing the course: set REPO_URL below to the public repository, then run `make sync` to
write it into every notebook's bootstrap cell and every Colab badge (notebooks and README), and
`make release-check`, which fails while REPO_URL is still the placeholder. A test fails while any
bootstrap cell or badge is out of step with REPO_URL.
"""

from __future__ import annotations

import re

PLACEHOLDER_URL = "https://github.com/ics-bn-course/ics-batchnorm-course"  # not a real repository
REPO_URL = PLACEHOLDER_URL  # <- the one place to set the course's public repository
BOOTSTRAP_FIRST_LINE = "# Bootstrap: makes the course's `helpers` importable, here and in Colab."

BOOTSTRAP_TEMPLATE = '''{first_line}
# Identical in every notebook (`make sync` writes it); it installs nothing.
import os
import subprocess
import sys
from pathlib import Path

REPO_URL = "{url}"
if "google.colab" in sys.modules:  # Colab: fetch the course once, then work inside it
    ROOT = Path(os.environ.get("COURSE_HOME", "/content")) / "{name}"
    if not (ROOT / "helpers").is_dir():
        subprocess.run(["git", "clone", "--depth", "1", "-q", REPO_URL, str(ROOT)], check=True)
    os.chdir(ROOT / "notebooks")
else:  # a local checkout: the course root is the folder that holds helpers/
    here = Path.cwd().resolve()
    ROOT = next((p for p in [here, *here.parents] if (p / "helpers").is_dir()), here.parent)
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))'''

CJK = "\u3000-\u303f\u4e00-\u9fff\uff00-\uffef"  # Chinese characters and punctuation, for [...]
BADGE_PATTERN = re.compile(r"https://colab\.research\.google\.com/github/[^/\s)]+/[^/\s)]+/blob/")


def repo_name(url: str = REPO_URL) -> str:
    """The folder a clone of ``url`` lands in: its last path component without .git."""
    return url.rstrip("/").rsplit("/", 1)[-1].removesuffix(".git")


def bootstrap_source(url: str = REPO_URL) -> str:
    """The exact source of every notebook's bootstrap cell."""
    return BOOTSTRAP_TEMPLATE.format(first_line=BOOTSTRAP_FIRST_LINE, url=url, name=repo_name(url))


def colab_prefix(url: str = REPO_URL) -> str:
    """What every Colab badge link starts with, up to the branch name."""
    owner_repo = url.rstrip("/").removesuffix(".git").split("github.com/", 1)[-1]
    return f"https://colab.research.google.com/github/{owner_repo}/blob/"


BADGE_LABELS = {"notebooks": "Open In Colab", "student": "Open the hand-out in Colab",
                "zh/notebooks": "在 Colab 中打开", "zh/student": "在 Colab 中打开讲义"}


def edition_folder(folder: str, lang: str = "en") -> str:
    """Where a language's notebooks or hand-outs live: 'notebooks' -> 'zh/notebooks' for 'zh'."""
    return folder if lang == "en" else f"{lang}/{folder}"


def colab_link(notebook: str, url: str = REPO_URL, folder: str = "notebooks") -> str:
    """The Colab address of <folder>/<notebook>: notebooks/ (answer key) or student/ (hand-out),
    or the Chinese edition's zh/notebooks/ and zh/student/."""
    return f"{colab_prefix(url)}main/{folder}/{notebook}"


def colab_badge(notebook: str, url: str = REPO_URL, folder: str = "notebooks") -> str:
    """Markdown for the 'Open in Colab' badge of <folder>/<notebook>."""
    label = BADGE_LABELS.get(folder, "Open In Colab")
    badge = "https://colab.research.google.com/assets/colab-badge.svg"
    return f"[![{label}]({badge})]({colab_link(notebook, url, folder)})"


def colab_links(notebook: str, url: str = REPO_URL, lang: str = "en") -> str:
    """The course map's 'open in Colab' cell: the hand-out and the answer key of a notebook
    (lang 'zh': the Chinese edition's, for README.zh.md)."""
    hand_out, key = ("hand-out", "answer key") if lang == "en" else ("讲义", "答案")
    return (f"[{hand_out}]({colab_link(notebook, url, edition_folder('student', lang))}) · "
            f"[{key}]({colab_link(notebook, url, edition_folder('notebooks', lang))})")
