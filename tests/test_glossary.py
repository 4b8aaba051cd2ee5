"""docs/glossary.md: every English term is used, as written, in the notebook the glossary names."""

import re
from pathlib import Path

import nbformat
import pytest

ROOT = Path(__file__).resolve().parent.parent
ROW = re.compile(r"^\| (?P<zh>[^|]+?) \| (?P<en>[^|]+?) \| (?P<nb>\d\d) \|$", re.M)


def rows():
    return [m.groupdict() for m in ROW.finditer((ROOT / "docs" / "glossary.md").read_text())]


def notebook_text(number: str) -> str:
    path = next((ROOT / "notebooks").glob(f"{number}_*.ipynb"))
    return "\n".join(c.source for c in nbformat.read(path, as_version=4).cells).lower()


def test_the_glossary_has_the_study_notes_key_terms():
    chinese = {r["zh"] for r in rows()}
    for term in ("内部协变量偏移", "白化", "梯度消失", "表达能力"):
        assert any(term in zh for zh in chinese), term


@pytest.mark.parametrize("row", rows(), ids=lambda r: r["en"])
def test_each_term_appears_in_its_notebook(row):
    text = notebook_text(row["nb"])
    for term in re.sub(r"\(.*?\)", "", row["en"]).split(" / "):
        assert term.strip().lower() in text, f"notebook {row['nb']} never says '{term.strip()}'"


def test_the_bilingual_course_map_lists_every_notebook():
    text = (ROOT / "docs" / "glossary.md").read_text()
    for path in sorted((ROOT / "notebooks").glob("*.ipynb")):
        assert f"| {path.name[:2]} |" in text.split("## Course map")[1], path.name
