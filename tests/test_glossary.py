"""docs/glossary.md: the note's terms are the note's words, and every English term is taught.

A row marked `note` gives the study note's own wording: it must occur in docs/study-note-zh.md,
the note as shipped with the course. A row marked `course` is the course's translation. Every
English term must occur in the prose (markdown, links removed) of the notebook the row names.
"""

import re
from pathlib import Path

import nbformat
import pytest

ROOT = Path(__file__).resolve().parent.parent
ROW = re.compile(r"^\| (?P<zh>[^|]+?) \| (?P<source>note|course) \| (?P<en>[^|]+?) \| "
                 r"(?P<nb>\d\d) \|$", re.M)
LINK = re.compile(r"\]\([^)]*\)|https?://\S+")


def rows():
    return [m.groupdict() for m in ROW.finditer((ROOT / "docs" / "glossary.md").read_text())]


def alternatives(term: str) -> list[str]:
    """'梯度饱和区 / 饱和区（…）' -> ['梯度饱和区', '饱和区'] (parentheses are explanations)."""
    term = re.sub(r"[（(].*?[)）]", "", term)
    return [t.strip() for t in term.split(" / ") if t.strip()]


def notebook_prose(number: str) -> str:
    path = next((ROOT / "notebooks").glob(f"{number}_*.ipynb"))
    text = "\n".join(c.source for c in nbformat.read(path, as_version=4).cells
                     if c.cell_type == "markdown")
    return " ".join(LINK.sub(" ", text).lower().split())


def test_the_glossary_has_rows_and_the_study_notes_key_terms():
    chinese = {r["zh"] for r in rows()}
    assert len(rows()) >= 30
    for term in ("内部协变量偏移", "白化", "梯度消失", "表达能力", "调参", "泛化", "收敛"):
        assert any(term in zh for zh in chinese), term


@pytest.mark.parametrize("row", [r for r in rows() if r["source"] == "note"],
                         ids=lambda r: r["zh"])
def test_each_note_term_is_in_the_note(row):
    note = (ROOT / "docs" / "study-note-zh.md").read_text(encoding="utf-8")
    for term in alternatives(row["zh"]):
        assert term in note, f"'{term}' is marked as the note's term but the note never writes it"


@pytest.mark.parametrize("row", rows(), ids=lambda r: r["en"])
def test_each_english_term_is_in_its_notebooks_prose(row):
    prose = notebook_prose(row["nb"])
    for term in alternatives(row["en"]):
        assert term.lower() in prose, f"notebook {row['nb']}'s prose never says '{term}'"


def test_the_shipped_note_is_the_note():
    shipped = (ROOT / "docs" / "study-note-zh.md").read_text(encoding="utf-8")
    original = ROOT.parent / "shared" / "study-note-zh.md"
    if original.exists():
        assert original.read_text(encoding="utf-8") in shipped


def test_the_bilingual_course_map_lists_every_notebook():
    text = (ROOT / "docs" / "glossary.md").read_text()
    for path in sorted((ROOT / "notebooks").glob("*.ipynb")):
        assert f"| {path.name[:2]} |" in text.split("## Course map")[1], path.name
