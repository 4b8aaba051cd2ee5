"""The Chinese edition: Chinese notebooks and hand-outs written from the English ones.

    python tools/translate.py           (or: make zh) write zh/notebooks, zh/student, README.zh.md
    python tools/translate.py --status  per notebook: translated, stale and missing cells
    python tools/translate.py --todo NN print the blocks notebook NN still needs (English text
                                        under each header, for the translator to replace)

The English notebooks are the source; a translation only replaces their words. It lives in
translations/zh/NN_name.md, one file per notebook, made of blocks keyed by the cell's id:

    <!-- cell: 05-03 en: 3f2a9c0d41b7 -->
    Chinese text of markdown cell 05-03 (the whole cell)

    <!-- code: 05-04 en: 9b1e77c2a0f4 -->
    # the batch mean => # 批均值
    "γ is the weight" => "γ 即 weight"

`en:` is the fingerprint of the English cell the block translates: the first 12 hex digits of
the sha256 of its source, with two things left out that tools rewrite (the study and run times
in `<!--study:NN-->…<!--/study-->` spans, and the repository in Colab badges). When the English
cell changes, the fingerprint no longer matches and the block is *stale*. A code block lists
`English => 中文` replacements, applied verbatim (every occurrence) to the code cell's source:
only comments and strings may change (tested); a cell without a code block keeps its English.

A Chinese notebook is written only when every markdown cell has a block and its file has no
error (exit status 1 names it); a stale markdown block still serves, a stale code block does not,
and tests/test_translate.py fails, naming the cells, until they are updated. It is the executed
English notebook (same code, outputs, cell ids, tags, metadata, parameters cell) with the
markdown replaced, the code replacements applied, relative links that leave the folder
rewritten to resolve from zh/notebooks/ (a link to another notebook opens its Chinese edition
when there is one, else the English), the Colab badge opening the Chinese notebook, and the
study-time spans filled from the English. Its hand-out (zh/student/) comes from
make_student.student_version. README.zh.md's course map (between `<!--zh-map-->` and
`<!--/zh-map-->`) lists each notebook, linked once written and marked 翻译中 until then.
"""

from __future__ import annotations

import argparse
import hashlib
import io
import os
import re
import sys
import tokenize
from dataclasses import dataclass, field
from pathlib import Path

import nbformat

sys.path.insert(0, str(Path(__file__).resolve().parent))
from course import (  # noqa: E402
    BADGE_PATTERN,
    BOOTSTRAP_FIRST_LINE,
    CJK,
    colab_badge,
    colab_links,
    colab_prefix,
)
from make_student import student_version  # noqa: E402
from study_time import SPAN  # noqa: E402  (the study/run-time spans the tool fills)

ROOT = Path(__file__).resolve().parent.parent
LANG = "zh"
MARKER = re.compile(r"^<!-- (cell|code): (\S+) en: ([0-9a-f]{12}) -->[ \t]*$", re.M)
LINK = re.compile(r"(\]\(|href=\"|src=\")([^)\"\s]+)")
MATH = re.compile(r"\$\$.+?\$\$|\$(?:[^$\n]|\n(?!\n))+?\$", re.S)  # as build_site.py reads it
MAP = re.compile(r"(<!--zh-map-->\n).*?(<!--/zh-map-->)", re.S)
BADGE_ANY_REPO = "https://colab.research.google.com/github/OWNER/REPO/blob/"
SPAN_ZH = [(r"(\d+) min\b", r"\1 分钟"), (r"(\d+(?:\.\d+)?) h\b", r"\1 小时"),
           (r"(\d+) s\b", r"\1 秒"), (r" going further", "（进阶）"), (r" core", "（核心）"),
           (r" \(([^)]*)\)", r"（\1）")]
KEEP = ("### BEGIN SOLUTION", "### END SOLUTION", "NBVAL_")  # read by make_student and nbval
HANDOUT_ZH = {"# YOUR CODE HERE": "# 在这里写你的代码",
              '# your prediction: "a", "b" or "c"': '# 你的预测："a"、"b" 或 "c"'}


# ---- the translation file ----

@dataclass
class Block:
    """One block of a translation file: a markdown cell's text or a code cell's replacements."""

    kind: str  # "cell" (markdown) or "code"
    cell_id: str
    en: str  # the fingerprint of the English source it translates
    body: str


def fingerprint(source: str) -> str:
    """The first 12 hex digits of sha256 of an English cell's source, without what tools
    rewrite: the study/run-time spans' contents and the repository in Colab badges."""
    source = SPAN.sub(r"<!--\1:\2--><!--/\1-->", source)
    source = BADGE_PATTERN.sub(BADGE_ANY_REPO, source)
    return hashlib.sha256(source.encode("utf-8")).hexdigest()[:12]


def read_blocks(text: str, where: str = "translation") -> dict[str, Block]:
    """Parse a translation file into {cell id: Block}; a duplicate id or stray text is an error."""
    parts = MARKER.split(text)
    if parts[0].strip():
        raise ValueError(f"{where}: text before the first '<!-- cell: … -->' marker")
    blocks: dict[str, Block] = {}
    for kind, cell_id, en, body in zip(*[iter(parts[1:])] * 4):
        if cell_id in blocks:
            raise ValueError(f"{where}: two blocks for cell {cell_id}")
        blocks[cell_id] = Block(kind, cell_id, en, body.strip("\n"))
    return blocks


def replacements(body: str) -> list[tuple[str, str]]:
    """A code block's lines 'English => 中文' as pairs (blank lines skipped)."""
    pairs = []
    for line in body.splitlines():
        if line.strip():
            old, sep, new = line.partition(" => ")
            if not sep or not old.strip():
                raise ValueError(f"code block line without 'English => 中文': {line!r}")
            pairs.append((old.strip(), new.strip()))
    return pairs


def code_skeleton(source: str) -> list[tuple[int, str]]:
    """The tokens of a code cell without its comments and strings: what a translation keeps."""
    dropped = {tokenize.COMMENT, tokenize.STRING, getattr(tokenize, "FSTRING_MIDDLE", -1)}
    try:
        tokens = tokenize.generate_tokens(io.StringIO(source).readline)
        return [(t.type, t.string) for t in tokens if t.type not in dropped]
    except (tokenize.TokenError, SyntaxError):  # not plain Python: nothing may change
        return [(-1, source)]


# ---- where a notebook stands ----

@dataclass
class Status:
    """How far one notebook's translation is: cell ids by state, and errors in its file."""

    name: str
    has_file: bool = False
    markdown_cells: int = 0
    translated: list[str] = field(default_factory=list)
    stale: list[str] = field(default_factory=list)
    missing: list[str] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)

    @property
    def complete(self) -> bool:
        """Every markdown cell has a block (current or stale) and the file has no error."""
        return self.has_file and not self.missing and not self.errors


def translation_path(root: Path, name: str) -> Path:
    return root / "translations" / LANG / f"{name}.md"


def status(nb, name: str, blocks: dict[str, Block] | None) -> Status:
    """Compare a notebook with its blocks (None: no translation file yet)."""
    st = Status(name, has_file=blocks is not None)
    blocks = blocks or {}
    cells = {c.id: c for c in nb.cells}
    st.markdown_cells = sum(c.cell_type == "markdown" for c in nb.cells)
    for cell in nb.cells:
        block = blocks.get(cell.id)
        if block is None:
            if cell.cell_type == "markdown":
                st.missing.append(cell.id)
            continue
        want = "cell" if cell.cell_type == "markdown" else "code"
        if block.kind != want:
            st.errors.append(f"{cell.id}: a '{block.kind}' block for a {cell.cell_type} cell")
        elif block.en != fingerprint(cell.source):
            st.stale.append(cell.id)
        else:
            st.translated.append(cell.id)
            if want == "code":
                st.errors += code_errors(cell, block)
    st.errors += [f"{i}: no such cell in the English notebook" for i in blocks if i not in cells]
    return st


def code_errors(cell, block: Block) -> list[str]:
    """What is wrong with a current code block: unusable lines, lines the cell does not hold,
    a change outside comments and strings, or any change to the parameters/bootstrap cell."""
    if "parameters" in cell.metadata.get("tags", []) or \
            cell.source.startswith(BOOTSTRAP_FIRST_LINE):
        return [f"{cell.id}: the parameters and bootstrap cells are not translated"]
    try:
        pairs = replacements(block.body)
    except ValueError as err:
        return [f"{cell.id}: {err}"]
    errors = [f"{cell.id}: the English cell has no {old!r}" for old, _ in pairs
              if old not in cell.source]
    errors += [f"{cell.id}: {old!r} holds a marker that tools read ({', '.join(KEEP)})"
               for old, _ in pairs if any(m in old for m in KEEP)]
    if not errors and code_skeleton(translate_code(cell.source, pairs)) != \
            code_skeleton(cell.source):
        errors.append(f"{cell.id}: a replacement changes code, not only comments and strings")
    return errors


def translate_code(source: str, pairs: list[tuple[str, str]]) -> str:
    for old, new in pairs:
        source = source.replace(old, new)
    return source


# ---- the Chinese notebook ----

def localize_span(text: str) -> str:
    """'22 min + 16 min going further' -> '22 分钟 + 16 分钟（进阶）'."""
    for pattern, repl in SPAN_ZH:
        text = re.sub(pattern, repl, text)
    return text


def fill_spans(zh: str, en: str) -> str:
    """Give each study/run-time span of the Chinese text the English cell's numbers, in Chinese."""
    english = {(m[1], m[2]): m[3] for m in SPAN.finditer(en)}
    return SPAN.sub(lambda m: f"<!--{m[1]}:{m[2]}-->"
                    f"{localize_span(english.get((m[1], m[2]), m[3]))}<!--/{m[1]}-->", zh)


def rewrite_links(text: str, written: set[str]) -> str:
    """Relative links written for notebooks/, rewritten to resolve from zh/notebooks/: another
    notebook opens its Chinese edition if written (else the English one); anything else (docs,
    data, images) is reached from two folders down."""
    def fix(m: re.Match) -> str:
        target = m[2]
        if re.match(r"[a-z][a-z0-9+.-]*:|#|/", target):
            return m[0]
        path, _, anchor = target.partition("#")
        if "/" not in path and path.endswith(".ipynb") and path in written:
            return m[0]
        new = os.path.relpath(os.path.normpath(f"notebooks/{path}"), f"{LANG}/notebooks")
        return m[1] + Path(new).as_posix() + (f"#{anchor}" if anchor else "")
    return LINK.sub(fix, text)


def chinese_colab_links(text: str, written: set[str]) -> str:
    """Colab links to an answer key or hand-out (notebooks/ or student/) open the Chinese one
    when that notebook is written in Chinese."""
    prefix = re.escape(colab_prefix() + "main/")
    return re.sub(prefix + r"(notebooks|student)/([\w.]+\.ipynb)",
                  lambda m: colab_prefix() + f"main/{LANG}/{m[1]}/{m[2]}" if m[2] in written
                  else m[0], text)


BLOCK_START = re.compile(r"\s*(#|[-*+] |\d+[.)] |\||>|<|\$\$|```)")


def join_chinese_lines(text: str) -> str:
    """A paragraph's lines joined where both sides of the break are Chinese: renderers show a
    line break as a space, which Chinese text does not have. Code fences, display mathematics,
    headings, tables, list items and HTML lines keep their breaks."""
    lines, out, fenced, dollars = text.split("\n"), [], False, 0
    for line in lines:
        if line.lstrip().startswith(("```", "$$")):
            fenced ^= line.strip().count("```") % 2 == 1 or line.strip() in ("$$",)
        prev = out[-1] if out else ""
        inside_math = dollars % 2 == 1  # the break falls inside $…$: keep it
        dollars = 0 if not line.strip() else dollars + line.replace("$$", "").count("$")
        even = all(t.replace("$$", "").count("$") % 2 == 0 for t in (prev, line))
        if (out and not fenced and not inside_math and even and prev.strip() and line.strip()
                and not BLOCK_START.match(line)
                and not prev.lstrip().startswith(("#", "|", "<")) and re.search(f"[{CJK}“”]$", prev)
                and re.match(f"\\s*[{CJK}“”]", line)):
            out[-1] = prev + line.lstrip()
        else:
            out.append(line)
    return "\n".join(out)


def chinese_markdown(block: Block, english: str, name: str, written: set[str]) -> str:
    text = join_chinese_lines(fill_spans(block.body, english))
    text = BADGE_PATTERN.sub(colab_prefix(), text)
    text = text.replace(colab_badge(name), colab_badge(name, folder=f"{LANG}/notebooks"))
    return rewrite_links(chinese_colab_links(text, written), written)


def chinese_notebook(nb, name: str, blocks: dict[str, Block], written: set[str]):
    """The Chinese edition of an executed English notebook (file name ``name``)."""
    zh = nbformat.from_dict(nb)
    for cell in zh.cells:
        block = blocks.get(cell.id)
        if block is None:
            continue
        if cell.cell_type == "markdown":
            cell.source = chinese_markdown(block, cell.source, name, written)
        elif block.en == fingerprint(cell.source):  # a stale code block waits for its translator
            cell.source = translate_code(cell.source, replacements(block.body))
    return zh


def chinese_handout(zh_nb, name: str):
    """The Chinese hand-out: make_student's student version, its own lines in Chinese."""
    handout = student_version(zh_nb, name, lang=LANG)
    for cell in handout.cells:
        if cell.cell_type == "code":
            cell.source = translate_code(cell.source, list(HANDOUT_ZH.items()))
    return handout


# ---- the Chinese course map ----

README_TEMPLATE = """# 内部协变量偏移与批归一化 —— 动手实践课程（中文版）

[English](README.md) · [术语表 Glossary](docs/glossary.md)

本课程的中文版正在翻译中。英文版（[README.md](README.md)）是原文：中文 notebook
与英文 notebook 使用相同的代码、相同的输出和相同的检查单元，只有文字不同。
下表中标为“翻译中”的 notebook 尚未译完，请先阅读英文版。
参与翻译的方法见 [CONTRIBUTING.md](CONTRIBUTING.md)（“Translations”一节）。

## 课程地图

<!--zh-map-->
<!--/zh-map-->
"""


def english_map(root: Path) -> dict[str, tuple[str, str]]:
    """From the glossary's course map: {'05': ('the batch-norm layer', '一句话简介')}."""
    path = root / "docs" / "glossary.md"
    text = path.read_text(encoding="utf-8") if path.exists() else ""
    rows = re.findall(r"^\| (\d\d) \| \[([^\]]+)\]\([^)]*\) \| [^|]* \| ([^|]*?) \|$", text, re.M)
    return {number: (title, summary) for number, title, summary in rows}


def chinese_title(zh_nb) -> str:
    """'# 05 · 批归一化层：…' -> '批归一化层'."""
    heading = zh_nb.cells[0].source.splitlines()[0].lstrip("# ").strip()
    return re.split(r"[:：]", heading.split("·", 1)[-1].strip())[0].strip()


def stated_time(kind: str, number: str, nb) -> str:
    """The study or run time the English notebook's first cell states, in Chinese."""
    m = re.search(rf"<!--{kind}:{number}-->(.*?)<!--/{kind}-->", nb.cells[0].source, re.S)
    return localize_span(m[1]) if m else "—"


def course_map(root: Path, statuses: list[Status], english: dict[str, object],
               written: dict[str, object]) -> str:
    summaries = english_map(root)
    lines = ["| # | notebook | 简介 | 学习时间† | 运行时间* | 在 Colab 中打开 |",
             "|---|---|---|---|---|---|"]
    for st in statuses:
        number, file = st.name[:2], f"{st.name}.ipynb"
        english_title, summary = summaries.get(number, (st.name[3:].replace("_", " "), ""))
        study, run = (stated_time(kind, number, english[st.name]) for kind in ("study", "run"))
        if file in written:
            title = f"[{chinese_title(written[file])}]({LANG}/notebooks/{file})"
            links = colab_links(file, lang=LANG) + (" · 待更新" if st.stale else "")
        else:
            title = f"{english_title}（[英文版](notebooks/{file})）"
            done = st.markdown_cells - len(st.missing)  # shown once a translation file exists
            links = f"翻译中（{done}/{st.markdown_cells}）" if st.has_file else "翻译中"
        lines.append(f"| {number} | {title} | {summary} | {study} | {run} | {links} |")
    lines += ["", "\\* 在双核 CPU 上运行整个 notebook 的时间；"
              "† 由 `tools/study_time.py` 按英文版估算（见 README.md）。"]
    return "\n".join(lines) + "\n"


def readme(root: Path, statuses: list[Status], english: dict[str, object],
           written: dict[str, object]) -> str:
    path = root / "README.zh.md"
    text = path.read_text(encoding="utf-8") if path.exists() else README_TEMPLATE
    if not MAP.search(text):
        raise ValueError("README.zh.md has no '<!--zh-map-->' … '<!--/zh-map-->' span")
    table = course_map(root, statuses, english, written)
    return MAP.sub(lambda m: m[1] + table + m[2], text)


# ---- everything the tool writes ----

def load(root: Path) -> list[tuple[str, object, dict[str, Block] | None]]:
    """(name, English notebook, blocks or None) for every notebook, in course order."""
    found = []
    for path in sorted((root / "notebooks").glob("*.ipynb")):
        tr = translation_path(root, path.stem)
        blocks = read_blocks(tr.read_text(encoding="utf-8"), str(tr)) if tr.exists() else None
        found.append((path.stem, nbformat.read(path, as_version=4), blocks))
    return found


def build(root: Path = ROOT) -> tuple[list[Status], dict[str, str]]:
    """Every notebook's status, and {path relative to root: text} of every file to write."""
    loaded = load(root)
    statuses = [status(nb, name, blocks) for name, nb, blocks in loaded]
    ready = {f"{st.name}.ipynb" for st in statuses if st.complete}
    written: dict[str, object] = {}
    files: dict[str, str] = {}
    for name, nb, blocks in loaded:
        file = f"{name}.ipynb"
        if file in ready:
            zh = chinese_notebook(nb, file, blocks, ready)
            written[file] = zh
            files[f"{LANG}/notebooks/{file}"] = nbformat.writes(zh) + "\n"
            files[f"{LANG}/student/{file}"] = nbformat.writes(chinese_handout(zh, file)) + "\n"
    english = {name: nb for name, nb, _ in loaded}
    files["README.zh.md"] = readme(root, statuses, english, written)
    return statuses, files


def out_of_step(root: Path, files: dict[str, str]) -> list[str]:
    """Generated files that differ from what is on disk, and stray files in zh/."""
    differ = [p for p, text in files.items() if not (root / p).exists()
              or (root / p).read_text(encoding="utf-8") != text]
    stray = [p.relative_to(root).as_posix()
             for folder in ("notebooks", "student")
             for p in sorted((root / LANG / folder).glob("*.ipynb"))
             if p.relative_to(root).as_posix() not in files]
    return differ + stray


def write(root: Path, files: dict[str, str]) -> None:
    for rel in out_of_step(root, files):
        path = root / rel
        if rel in files:
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(files[rel], encoding="utf-8")
            print(f"wrote {rel}")
        else:
            path.unlink()
            print(f"removed {rel} (its translation is no longer complete)")


def report(statuses: list[Status]) -> str:
    lines = []
    for st in statuses:
        note = "" if st.has_file else " (no translation file)"
        lines.append(f"{st.name}: {len(st.translated)} translated, {len(st.stale)} stale, "
                     f"{len(st.missing)} missing{note}")
        for label, ids in (("stale", st.stale), ("missing", st.missing)):
            if ids:
                lines.append(f"  {label}: {' '.join(ids)}")
        lines += [f"  error: {e}" for e in st.errors]
    return "\n".join(lines)


def todo(root: Path, number: str) -> str:
    """The blocks notebook NN still needs, each header with the English beneath it: missing and
    stale markdown cells, stale code blocks, and, for a notebook not begun, every code cell with
    comments or strings (its lines as 'English => English', to translate on the right)."""
    for name, nb, blocks in load(root):
        if name.startswith(number):
            st = status(nb, name, blocks)
            return "\n\n".join(todo_block(cell, blocks) for cell in nb.cells
                               if cell.id in st.stale + st.missing
                               or (blocks is None and wordy_code(cell)))
    raise ValueError(f"no notebook numbered {number}")


def words_in_code(source: str) -> list[str]:
    """The comments and the one-line strings of two words or more of a code cell (not keys like
    "train"), in order, each once: what a code block may translate (never the markers that
    make_student and nbval read)."""
    try:
        tokens = list(tokenize.generate_tokens(io.StringIO(source).readline))
    except (tokenize.TokenError, SyntaxError):
        return []
    found = [t.string for t in tokens if t.type == tokenize.COMMENT or t.type == tokenize.STRING
             and "\n" not in t.string and re.search(r"[A-Za-z]{2,}\s.*[A-Za-z]{2,}", t.string)]
    return [w for w in dict.fromkeys(found) if not any(m in w for m in KEEP)]


def wordy_code(cell) -> bool:
    """A code cell (not parameters or bootstrap) with a comment or a string to translate."""
    return (cell.cell_type == "code" and "parameters" not in cell.metadata.get("tags", [])
            and not cell.source.startswith(BOOTSTRAP_FIRST_LINE)
            and bool(words_in_code(cell.source)))


def todo_block(cell, blocks: dict[str, Block] | None) -> str:
    header = f"<!-- {'cell' if cell.cell_type == 'markdown' else 'code'}: {cell.id} " \
             f"en: {fingerprint(cell.source)} -->"
    if cell.cell_type == "markdown":
        return f"{header}\n{cell.source}"
    old = blocks.get(cell.id) if blocks else None
    lines = old.body.splitlines() if old else [f"{w} => {w}" for w in words_in_code(cell.source)]
    return header + "\n" + "\n".join(lines)


def main(argv: list[str], root: Path = ROOT) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--status", action="store_true", help="print where each notebook stands")
    parser.add_argument("--todo", metavar="NN", help="print the blocks notebook NN still needs")
    args = parser.parse_args(argv)
    if args.todo:
        print(todo(root, args.todo))
        return 0
    statuses, files = build(root)
    if args.status:
        print(report(statuses))
        return 0
    write(root, files)
    for st in statuses:
        if st.stale and st.complete:
            print(f"{st.name}: {len(st.stale)} stale translation(s): {' '.join(st.stale)}")
        for error in st.errors:
            print(f"{st.name}: error: {error}")
    return 1 if any(st.errors for st in statuses) else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
