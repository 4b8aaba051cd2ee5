"""The Chinese edition of the course's guides: zh/docs/NAME.md from docs/NAME.md and a translation.

    python tools/translate_docs.py            (make zh runs it after tools/translate.py)
    python tools/translate_docs.py --status   per guide: translated, stale and missing sections
    python tools/translate_docs.py --todo     the blocks still needed, English under each header

A guide is translated section by section, in the same block format as a notebook
(tools/translate.py): translations/zh/docs/NAME.md holds one block per section,

    <!-- cell: nb-05/objectives en: 3f2a9c0d41b7 -->
    Chinese text of that section

A section starts at each heading and at each paragraph that opens with a bold lead
(``**Objectives.**``); its key is the anchor or heading above it plus the lead's words, so it stays
the same when the text changes. ``en:`` is the fingerprint of the English section (without the
contents of the spans that tools fill in). The tools fill, in the Chinese text too: the study and
run times (from the English), and each exercise's hints (``<!--hint:ID-->…<!--/hint-->``, from the
Chinese notebook's hint cell, so the Chinese guide quotes the Chinese hand-out). A Chinese guide
is written only when every section has a block; tests/test_translate.py fails while one is missing
or stale.
"""

from __future__ import annotations

import argparse
import os
import re
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from study_time import AGENDA  # noqa: E402
from sync_course import HINT_SPAN, hint_cells, sync_hints  # noqa: E402
from translate import (  # noqa: E402
    LANG,
    LINK,
    Block,
    fill_spans,
    fingerprint,
    join_chinese_lines,
    read_blocks,
)

ROOT = Path(__file__).resolve().parent.parent
GUIDES = ("instructor-guide",)  # the glossary is bilingual itself
ANCHOR = re.compile(r'^<a id="([^"]+)"></a>$')
LEAD = re.compile(r"^\*\*([^*]+?)[.:]?\*\*")


def slug(text: str) -> str:
    words = re.findall(r"[a-z0-9]+", text.lower())
    return "-".join(words[:6]) or "section"


def sections(text: str) -> list[tuple[str, str]]:
    """The guide cut into (key, English text) at headings and bold-lead paragraphs."""
    paragraphs = re.split(r"\n\s*\n", text.strip("\n"))
    found: list[list[str]] = []
    place = "top"
    for para in paragraphs:
        first = para.splitlines()[0]
        if m := ANCHOR.match(first):
            place, key = m[1], m[1]
        elif first.startswith("#"):
            place = place if place.startswith("nb-") and first.startswith("### ") \
                and found and found[-1][0] == place else slug(first.lstrip("# "))
            key = place
        elif m := LEAD.match(first):
            key = f"{place}/{slug(m[1])}"
        else:  # a paragraph of the section above
            if found:
                found[-1][1] += "\n\n" + para
            else:
                found.append(["top", para])
            continue
        if found and found[-1][0] == key:  # a heading right after its anchor
            found[-1][1] += "\n\n" + para
        else:
            found.append([key, para])
    keys = [k for k, _ in found]
    return [(k if keys.count(k) == 1 else f"{k}-{keys[:i].count(k) + 1}", t)
            for i, (k, t) in enumerate(found)]


def placeholders(text: str) -> str:
    """The English section as the translator sees it: each agenda (its plan and the table the
    study-time tool writes) becomes ``<!--agenda:NAME--><!--/agenda-->``, which the Chinese text
    keeps and the tool fills with the English agenda; hint spans are left empty."""
    text = AGENDA.sub(lambda m: f"<!--agenda:{m[1]}--><!--/agenda-->", text)
    return HINT_SPAN.sub(r"<!--hint:\1--><!--/hint-->", text)


def fill_agendas(zh: str, en: str) -> str:
    spans = {m[1]: m[0] for m in AGENDA.finditer(en)}
    return re.sub(r"<!--agenda:(\S+)--><!--/agenda-->", lambda m: spans.get(m[1], m[0]), zh)


def doc_fingerprint(text: str) -> str:
    return fingerprint(placeholders(text))


def translation_file(root: Path, name: str) -> Path:
    return root / "translations" / LANG / "docs" / f"{name}.md"


def rewrite_doc_links(text: str, root: Path) -> str:
    """Links written for docs/ made to resolve from zh/docs/: a Chinese notebook or guide when
    there is one, else the English file."""
    def fix(m: re.Match) -> str:
        target = m[2]
        if re.match(r"[a-z][a-z0-9+.-]*:|#|/", target):
            return m[0]
        path, _, anchor = target.partition("#")
        english = os.path.normpath(f"docs/{path}")
        chinese = os.path.normpath(f"{LANG}/docs/{path}")
        if english == "README.md":
            english = "README.zh.md"
        new = path if (root / chinese).exists() and chinese.startswith(f"{LANG}/") \
            else Path(os.path.relpath(english, f"{LANG}/docs")).as_posix()
        return m[1] + new + (f"#{anchor}" if anchor else "")
    return LINK.sub(fix, text)


def guide_status(root: Path, name: str) -> tuple[dict, list[str], list[str], list[str], dict]:
    """(blocks, missing keys, stale keys, errors, {key: English section}) of one guide."""
    path = translation_file(root, name)
    blocks: dict[str, Block] = read_blocks(path.read_text(encoding="utf-8"), str(path)) \
        if path.exists() else {}
    english = dict(sections((root / "docs" / f"{name}.md").read_text(encoding="utf-8")))
    missing = [k for k in english if k not in blocks]
    stale = [k for k in english if k in blocks and blocks[k].en != doc_fingerprint(english[k])]
    errors = [f"{k}: no such section in docs/{name}.md" for k in blocks if k not in english]
    return blocks, missing, stale, errors, english


def build_docs(root: Path = ROOT) -> tuple[dict[str, tuple], dict[str, str]]:
    """{name: status} and {path: text} of every Chinese guide that can be written."""
    statuses, files = {}, {}
    hints = hint_cells(sorted((root / LANG / "notebooks").glob("*.ipynb")))
    english_hints = hint_cells(sorted((root / "notebooks").glob("*.ipynb")))
    for name in GUIDES:
        blocks, missing, stale, errors, english = guide_status(root, name)
        statuses[name] = blocks, missing, stale, errors
        if missing or errors or not blocks:
            continue
        parts = [fill_agendas(join_chinese_lines(fill_spans(blocks[k].body, text)), text)
                 for k, text in english.items()]
        text = sync_hints("\n\n".join(parts) + "\n", {**english_hints, **hints})
        files[f"{LANG}/docs/{name}.md"] = rewrite_doc_links(text, root)
    return statuses, files


def todo_docs(root: Path = ROOT) -> str:
    out = []
    for name in GUIDES:
        _, missing, stale, _, english = guide_status(root, name)
        out += [f"<!-- cell: {k} en: {doc_fingerprint(t)} -->\n{placeholders(t)}"
                for k, t in english.items() if k in missing + stale]
    return "\n\n".join(out)


def main(argv: list[str], root: Path = ROOT) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--status", action="store_true")
    parser.add_argument("--todo", action="store_true")
    args = parser.parse_args(argv)
    if args.todo:
        print(todo_docs(root))
        return 0
    statuses, files = build_docs(root)
    for name, (blocks, missing, stale, errors) in statuses.items():
        print(f"docs/{name}.md: {len(blocks) - len(stale)} translated, {len(stale)} stale, "
              f"{len(missing)} missing" + "".join(f"\n  error: {e}" for e in errors))
        if args.status and (missing or stale):
            print(f"  missing: {' '.join(missing)}\n  stale: {' '.join(stale)}")
    if not args.status:
        for rel, text in files.items():
            path = root / rel
            if not path.exists() or path.read_text(encoding="utf-8") != text:
                path.parent.mkdir(parents=True, exist_ok=True)
                path.write_text(text, encoding="utf-8")
                print(f"wrote {rel}")
    return 1 if any(st[3] for st in statuses.values()) else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
