"""The Chinese edition (tools/translate.py): in step, complete, current, and the same course.

Every check runs on the course itself and on a tiny synthetic course (two notebooks, one of them
translated by tests/fixtures/translations/zh/90_tiny.md), so that the whole pipeline is tested
before any real notebook is translated. Nothing is executed: the notebooks' outputs are copied.
"""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import nbformat
import pytest
from course import colab_badge, colab_link, colab_links
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook, new_output
from test_glossary import ROW, alternatives
from translate import (
    LINK,
    MATH,
    build,
    code_skeleton,
    fingerprint,
    localize_span,
    main,
    out_of_step,
    read_blocks,
    replacements,
    report,
    rewrite_links,
    status,
    todo,
    translation_path,
)
from translate_docs import build_docs, doc_fingerprint, sections

ROOT = Path(__file__).resolve().parent.parent
FIXTURE = Path(__file__).resolve().parent / "fixtures" / "translations" / "zh" / "90_tiny.md"


# ---- the tiny course ----

def tiny_notebook():
    """An executed English notebook with every kind of cell the tool treats differently."""
    first = ("# 90 · A tiny notebook: the mean of a batch\n\n"
             f"{colab_badge('90_tiny.ipynb')}\n\n"
             "We compute the **mean** $\\mu$ of a mini-batch. The seeds are listed in the\n"
             "[seed table](../docs/seed-table.md); [notebook 91](91_other.ipynb#part) goes on.\n\n"
             "**Estimated time.** Study <!--study:90-->3 min + 1 min going further<!--/study-->;"
             " it runs in <!--run:90-->1 s<!--/run-->.")
    cells = [
        new_markdown_cell(first, id="90-00"),
        new_code_cell("SEED = 0", id="90-01", metadata={"tags": ["parameters"]},
                      execution_count=1),
        new_markdown_cell("The mean of a batch is $\\mu = \\frac{1}{m}\\sum_i x_i$.", id="90-02"),
        new_code_cell('x = [1.0, 2.0, 3.0]\nmu = sum(x) / len(x)  # the batch mean\n'
                      'print("mean:", mu)', id="90-03", execution_count=2,
                      outputs=[new_output("stream", name="stdout", text="mean: 2.0\n")]),
        new_markdown_cell("### Exercise 90.1\n\nWrite `mean(x)`; predict first.", id="90-04"),
        new_code_cell('PREDICTION = "b"\n\ndef mean(x):\n    ### BEGIN SOLUTION\n'
                      '    return sum(x) / len(x)\n    ### END SOLUTION', id="90-05",
                      execution_count=3),
    ]
    return new_notebook(cells=cells, metadata={"course": {"run_seconds": 0.8}})


def other_notebook():
    return new_notebook(cells=[
        new_markdown_cell(f"# 91 · Another notebook\n\n{colab_badge('91_other.ipynb')}\n\n"
                          "<!--study:91-->2 min<!--/study-->, <!--run:91-->1 s<!--/run-->",
                          id="91-00"),
        new_markdown_cell("## Part\n\nNot translated yet.", id="91-01")])


GLOSSARY = """| 中文 | from 出处 | English (course) | notebook |
|---|---|---|---|
| 均值 | course | mean | 90 |
| 小批量 | course | mini-batch | 90 |

## Course map 课程地图

| # | notebook | in one line | 一句话简介 |
|---|---|---|---|
| 90 | [tiny](../notebooks/90_tiny.ipynb) | the mean of a batch | 一个批的均值 |
| 91 | [other](../notebooks/91_other.ipynb) | another one | 另一个 |
"""


def tiny_course(root: Path) -> Path:
    """A course folder with two English notebooks, one translation and a glossary."""
    (root / "notebooks").mkdir(parents=True)
    (root / "docs").mkdir()
    nbformat.write(tiny_notebook(), root / "notebooks" / "90_tiny.ipynb")
    nbformat.write(other_notebook(), root / "notebooks" / "91_other.ipynb")
    (root / "docs" / "glossary.md").write_text(GLOSSARY, encoding="utf-8")
    (root / "docs" / "seed-table.md").write_text("seeds\n", encoding="utf-8")
    translation_path(root, "90_tiny").parent.mkdir(parents=True)
    shutil.copy(FIXTURE, translation_path(root, "90_tiny"))
    return root


@pytest.fixture(params=["course", "tiny course"])
def root(request, tmp_path):
    """The course itself, and the tiny course after `make zh`."""
    if request.param == "course":
        return ROOT
    course = tiny_course(tmp_path / "course")
    assert main([], root=course) == 0
    return course


# ---- checks, each returning what is wrong ----

def written(root: Path):
    """(name, English notebook, Chinese notebook) for every Chinese notebook written."""
    for path in sorted((root / "zh" / "notebooks").glob("*.ipynb")):
        yield (path.name, nbformat.read(root / "notebooks" / path.name, as_version=4),
               nbformat.read(path, as_version=4))


def untranslated_or_stale(root: Path) -> list[str]:
    statuses, _ = build(root)
    found = []
    for st in statuses:
        if not st.has_file:
            continue
        todo = f"(see `python tools/translate.py --todo {st.name[:2]}`)"
        if st.missing:
            found.append(f"{st.name}: no translation for cells {', '.join(st.missing)} {todo}")
        if st.stale:
            found.append(f"{st.name}: the English changed since cells {', '.join(st.stale)} "
                         f"were translated {todo}")
        found += [f"{st.name}: {error}" for error in st.errors]
    return found


def maths(source: str) -> list[str]:
    """The $…$ and $$…$$ of a markdown cell, white space normalized (a line may wrap inside)."""
    return sorted(" ".join(m.split()) for m in MATH.findall(source))


def differences_from_english(name: str, en, zh) -> list[str]:
    """Code (modulo comments and strings), mathematics, cell ids, tags, outputs, metadata and
    the parameters cell must be the English notebook's."""
    found = []
    if [c.id for c in en.cells] != [c.id for c in zh.cells]:
        return [f"{name}: cell ids differ from the English"]
    if en.metadata != zh.metadata:
        found.append(f"{name}: notebook metadata differ")
    for a, b in zip(en.cells, zh.cells):
        where = f"{name} cell {a.id}"
        if a.cell_type != b.cell_type or a.metadata != b.metadata:
            found.append(f"{where}: type, tags or metadata differ")
        elif a.cell_type == "markdown":
            if maths(a.source) != maths(b.source):
                found.append(f"{where}: the mathematics ($…$) differs")
        elif a.cell_type == "code":
            if a.outputs != b.outputs or a.execution_count != b.execution_count:
                found.append(f"{where}: outputs differ")
            if code_skeleton(a.source) != code_skeleton(b.source):
                found.append(f"{where}: code differs (beyond comments and strings)")
            if "parameters" in a.metadata.get("tags", []) and a.source != b.source:
                found.append(f"{where}: the parameters cell differs")
    return found


def glossary_terms_missing(root: Path, name: str, zh) -> list[str]:
    """Every glossary term of notebook NN (docs/glossary.md) must be in its Chinese prose."""
    prose = "\n".join(c.source for c in zh.cells if c.cell_type == "markdown")
    prose = "".join(LINK.sub(" ", prose).lower().split())
    glossary = (root / "docs" / "glossary.md").read_text(encoding="utf-8")
    return [f"{name}: the glossary's term '{term}' is not in the Chinese notebook"
            for row in ROW.finditer(glossary) if row["nb"] == name[:2]
            for term in alternatives(row["zh"]) if "".join(term.lower().split()) not in prose]


def broken_links(root: Path, name: str, zh) -> list[str]:
    text = "\n".join(c.source for c in zh.cells if c.cell_type == "markdown")
    return [f"{name}: link {m[2]} does not resolve from zh/notebooks/"
            for m in LINK.finditer(text) if not re.match(r"[a-z][a-z0-9+.-]*:|#", m[2])
            and not (root / "zh" / "notebooks" / m[2].partition("#")[0]).exists()]


# ---- (1)–(4) on the course and on the tiny course ----

def test_the_chinese_edition_is_what_make_zh_writes(root):
    _, files = build(root)
    assert not out_of_step(root, files), \
        f"out of step with the English notebooks and translations: run `make zh`: " \
        f"{out_of_step(root, files)}"
    assert "README.zh.md" in files


def test_every_translated_notebook_is_complete_and_current(root):
    problems = untranslated_or_stale(root)
    assert not problems, "\n".join(problems)


def test_chinese_notebooks_keep_the_code_mathematics_ids_and_outputs(root):
    problems = [p for name, en, zh in written(root) for p in differences_from_english(name, en, zh)]
    assert not problems, "\n".join(problems)


def test_chinese_notebooks_use_the_glossary_and_their_links_resolve(root):
    problems = [p for name, _, zh in written(root)
                for p in glossary_terms_missing(root, name, zh) + broken_links(root, name, zh)]
    assert not problems, "\n".join(problems)


def test_the_chinese_course_map_lists_every_notebook(root):
    text = (root / "README.zh.md").read_text(encoding="utf-8")
    done = {name for name, _, _ in written(root)}
    for path in sorted((root / "notebooks").glob("*.ipynb")):
        row = next(line for line in text.splitlines() if line.startswith(f"| {path.name[:2]} |"))
        if path.name in done:
            assert f"(zh/notebooks/{path.name})" in row and colab_links(path.name, lang="zh") in row
        else:
            assert "翻译中" in row and "zh/notebooks" not in row, row


# ---- the tiny course end to end ----

def test_the_tiny_course_becomes_a_chinese_notebook_and_hand_out(tmp_path):
    course = tiny_course(tmp_path)
    assert main([], root=course) == 0
    zh = nbformat.read(course / "zh" / "notebooks" / "90_tiny.ipynb", as_version=4)
    first = zh.cells[0].source
    assert first.startswith("# 90 · 一个小 notebook")
    assert colab_badge("90_tiny.ipynb", folder="zh/notebooks") in first
    assert "(../../docs/seed-table.md)" in first  # leaves the folder: rewritten
    assert "(../../notebooks/91_other.ipynb#part)" in first  # 91 is not translated: English
    assert "<!--study:90-->3 分钟 + 1 分钟（进阶）<!--/study-->" in first
    assert "# 批均值" in zh.cells[3].source and 'print("均值：", mu)' in zh.cells[3].source
    assert zh.cells[3].outputs == tiny_notebook().cells[3].outputs
    handout = nbformat.read(course / "zh" / "student" / "90_tiny.ipynb", as_version=4)
    code = handout.cells[5].source
    assert "# 在这里写你的代码" in code and "return sum" not in code and "PREDICTION = None" in code
    assert colab_badge("90_tiny.ipynb", folder="zh/student") in handout.cells[0].source
    assert not (course / "zh" / "notebooks" / "91_other.ipynb").exists()
    readme = (course / "README.zh.md").read_text(encoding="utf-8")
    assert "| 90 | [一个小 notebook](zh/notebooks/90_tiny.ipynb) | 一个批的均值 | 3 分钟" in readme
    row_91 = next(line for line in readme.splitlines() if line.startswith("| 91 |"))
    assert row_91 == ("| 91 | other（[英文版](notebooks/91_other.ipynb)） | 另一个 | 2 分钟 | 1 秒 "
                      "| 翻译中 |")


def test_a_changed_english_cell_is_reported_stale_by_its_id(tmp_path):
    course = tiny_course(tmp_path)
    nb = nbformat.read(course / "notebooks" / "90_tiny.ipynb", as_version=4)
    nb.cells[2].source = nb.cells[2].source.replace("mean of a batch", "average of a batch")
    nbformat.write(nb, course / "notebooks" / "90_tiny.ipynb")
    problems = untranslated_or_stale(course)
    assert any("cells 90-02 were translated" in p for p in problems), problems
    assert "stale: 90-02" in report(build(course)[0])


def test_a_missing_translation_is_reported_and_the_notebook_not_written(tmp_path):
    course = tiny_course(tmp_path)
    text = translation_path(course, "90_tiny").read_text(encoding="utf-8")
    text = re.sub(r"<!-- cell: 90-04 .*", "", text, flags=re.S)
    translation_path(course, "90_tiny").write_text(text, encoding="utf-8")
    assert any("no translation for cells 90-04" in p for p in untranslated_or_stale(course))
    statuses, files = build(course)
    assert statuses[0].missing == ["90-04"] and "zh/notebooks/90_tiny.ipynb" not in files
    assert "missing: 90-04" in report(statuses)
    assert "| 翻译中（2/3） |" in files["README.zh.md"]  # a file exists: how far it is


def test_study_times_and_badges_do_not_make_a_translation_stale():
    cell = "Study <!--study:05-->58 min<!--/study-->.\n" + colab_badge("05_x.ipynb")
    moved = cell.replace("58 min", "61 min").replace("ics-bn-course/", "someone/")
    assert fingerprint(cell) == fingerprint(moved) != fingerprint(cell.replace("Study", "Read"))
    assert localize_span("636 min (10.6 h) core + 578 min going further") == \
        "636 分钟（10.6 小时）（核心） + 578 分钟（进阶）"


def test_code_blocks_may_change_only_comments_and_strings():
    nb = new_notebook(cells=[new_code_cell('x = 1  # one\nprint("x is", x)', id="c")])
    fine = f"<!-- code: c en: {fingerprint(nb.cells[0].source)} -->\n# one => # 一\n" \
           '"x is" => "x 是"\n'
    assert status(nb, "t", read_blocks(fine)).errors == []
    bad = fine + "x = 1 => x = 2\n"
    assert "changes code" in status(nb, "t", read_blocks(bad)).errors[0]
    absent = fine + "# two => # 二\n"
    assert "has no '# two'" in status(nb, "t", read_blocks(absent)).errors[0]
    assert replacements("a => b\n\nc => d") == [("a", "b"), ("c", "d")]
    with pytest.raises(ValueError, match="two blocks"):
        read_blocks(fine + fine)


def test_links_to_other_notebooks_stay_in_the_language_when_they_can():
    text = "[a](02_x.ipynb) [b](03_y.ipynb#top) [c](../docs/g.md) [d](https://x.org/a.md)"
    assert rewrite_links(text, {"02_x.ipynb"}) == \
        "[a](02_x.ipynb) [b](../../notebooks/03_y.ipynb#top) [c](../../docs/g.md) " \
        "[d](https://x.org/a.md)"


def test_todo_starts_a_translation_file_that_the_tool_reads(tmp_path):
    course = tiny_course(tmp_path)
    translation_path(course, "90_tiny").unlink()
    stub = todo(course, "90")
    assert "<!-- code: 90-01" not in stub  # the parameters cell is never translated
    assert "# the batch mean => # the batch mean" in stub and '"mean:"' not in stub  # one word
    blocks = read_blocks(stub)
    st = status(tiny_notebook(), "90_tiny", blocks)
    assert st.missing == [] and st.stale == [] and st.errors == []
    assert sorted(blocks) == ["90-00", "90-02", "90-03", "90-04"]  # 90-05: markers only


# ---- the guide (tools/translate_docs.py) ----

def test_the_chinese_guide_is_complete_current_and_what_make_zh_writes():
    statuses, files = build_docs(ROOT)
    for name, (blocks, missing, stale, errors) in statuses.items():
        if not blocks:
            continue  # not begun: README.zh.md says so
        todo = "(see `python tools/translate_docs.py --todo`)"
        assert not missing, f"docs/{name}.md: no translation for sections {missing} {todo}"
        assert not stale, f"docs/{name}.md: the English changed since sections {stale} " \
                          f"were translated {todo}"
        assert not errors, errors
    for rel, text in files.items():
        assert (ROOT / rel).exists() and (ROOT / rel).read_text(encoding="utf-8") == text, \
            f"{rel} is out of step with the guide and its translation: run `make zh`"


def test_a_guide_is_cut_into_sections_with_stable_keys():
    text = ("# Guide\n\nIntro.\n\n## Part\n\n**Objectives.** One.\n\n- a list\n\n"
            '<a id="nb-05"></a>\n\n### 05 · Five\n\n**Time.** <!--study:05-->3 min<!--/study-->')
    keys = [k for k, _ in sections(text)]
    assert keys == ["guide", "part", "part/objectives", "nb-05", "nb-05/time"]
    changed = text.replace("3 min", "9 min").replace("One.", "One!")
    assert [doc_fingerprint(t) for _, t in sections(text)][-1] == \
        [doc_fingerprint(t) for _, t in sections(changed)][-1]  # a tool-filled span
    assert dict(sections(text))["part/objectives"] != dict(sections(changed))["part/objectives"]


def test_chinese_notebook_00_opens_every_chinese_hand_out_and_answer_key_in_colab(root):
    written_names = [name for name, _, _ in written(root)]
    if "00_start_here.ipynb" not in written_names:
        return
    start_here = (root / "zh" / "notebooks" / "00_start_here.ipynb").read_text(encoding="utf-8")
    for name in written_names:
        for folder in ("zh/student", "zh/notebooks"):
            assert colab_link(name, folder=folder) in start_here, \
                f"the Chinese notebook 00 does not open {folder}/{name} in Colab"


def stray_asterisks(source: str) -> list[str]:
    """What is left of * and ** after rendering a markdown cell (code and mathematics ignored):
    emphasis that CommonMark does not close, e.g. '**向上：**两张' (punctuation inside the closing
    run, followed by a letter)."""
    from nbconvert.filters.markdown_mistune import markdown2html_mistune
    source = MATH.sub("X", re.sub(r"`[^`\n]*`|\\\*", "X", source))
    html = re.sub(r"<pre.*?</pre>|<code.*?</code>", "", markdown2html_mistune(source), flags=re.S)
    text = re.sub(r"<[^>]+>", "", html)
    return [text[max(0, m.start() - 10):m.end() + 10] for m in re.finditer(r"\*+", text)]


def test_chinese_emphasis_renders(root):
    problems = [f"{name} cell {a.id}: {stray}" for name, en, zh in written(root)
                for a, b in zip(en.cells, zh.cells)
                if a.cell_type == "markdown" and not stray_asterisks(a.source)
                for stray in stray_asterisks(b.source)]
    assert not problems, "emphasis that does not render (put the punctuation outside: " \
                         "**向上**：):\n" + "\n".join(problems)


def test_every_notebook_hand_out_and_guide_has_its_chinese_edition():
    for path in sorted((ROOT / "notebooks").glob("*.ipynb")):
        for folder in ("notebooks", "student"):
            assert (ROOT / "zh" / folder / path.name).exists(), f"no zh/{folder}/{path.name}"
    assert (ROOT / "zh" / "docs" / "instructor-guide.md").exists(), "no Chinese instructor guide"
