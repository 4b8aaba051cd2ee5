"""Build the readable website of the course from the committed notebooks (nothing is re-run).

    python tools/build_site.py [--out site]        (or: make site)

Writes <out>/index.html (the README: course map, set-up, workshops), one page per notebook
(NN_name.html: its prose, code, printed results and figures), a page for each guide in docs/
(instructor guide, glossary, seed table, the study note) and for every other markdown file a page
links to (data/README.md). The Chinese edition goes to <out>/zh/ the same way (README.zh.md,
zh/notebooks/, zh/docs/), and each page that has a translation links to it (中文 / English).
Every page has the same navigation bar: the course map, the previous and the next notebook, the
guides, the other language. Links between notebooks (…ipynb) and markdown files point to their
pages; links to other files of the repository point to the repository.

The site works offline: the mathematics is typeset at build time as MathML (latex2mathml), which
browsers display without a script, and no page loads anything from the network. Every figure has
alt text: the titles of its panels (``helpers.environment.crisp_png`` stores them). Publish the
folder as it is, e.g. on GitHub Pages.
"""

from __future__ import annotations

import argparse
import functools
import html
import os
import re
import shutil
import time
from pathlib import Path
from unittest import mock

import jinja2
import nbformat
from course import REPO_URL
from latex2mathml.converter import convert as latex_to_mathml
from nbconvert import HTMLExporter
from nbconvert.filters.markdown_mistune import markdown2html_mistune

ROOT = Path(__file__).resolve().parent.parent
GUIDES = {"instructor-guide": "Instructor guide", "glossary": "Glossary 术语表",
          "seed-table": "Seeds 0–29", "study-note-zh": "学习笔记 Study note"}
# $$…$$ (display) or $…$ (inline, may wrap a line but not a paragraph), outside code
MATH = re.compile(r"\$\$(.+?)\$\$|\$((?:[^$\n]|\n(?!\n))+?)\$", re.S)
CODE = re.compile(r"(```.*?```|`[^`\n]*`)", re.S)
# The notebook pages: nbconvert's lab template without its scripts from the network
# (require.js, MathJax, mermaid), and with each figure's alt text from its metadata.
NOTEBOOK_TEMPLATE = """{%- extends 'lab/index.html.j2' -%}
{%- block html_head_js -%}{%- endblock html_head_js -%}
{%- block html_head_js_mathjax -%}{%- endblock html_head_js_mathjax -%}
{%- block html_head_js_mermaidjs -%}{%- endblock html_head_js_mermaidjs -%}
{%- block data_png scoped -%}
<div class="jp-RenderedImage jp-OutputArea-output {{ extra_class }}">
<img src="data:image/png;base64,{{ output.data['image/png'] | escape_html }}"
alt="{{ (output | get_metadata('alt', 'image/png')) or 'a figure' | escape_html }}"
{%- set width=output | get_metadata('width', 'image/png') %}
{%- if width is not none %} width={{ width | escape_html }}{% endif %}
{%- set height=output | get_metadata('height', 'image/png') %}
{%- if height is not none %} height={{ height | escape_html }}{% endif %}>
</div>
{%- endblock data_png -%}
{#- Pygments escapes the code it highlights; the lab template's second, sanitizing pass (for
    notebooks from strangers) took most of the build's time and changes nothing here. -#}
{% block input %}
<div class="jp-CodeMirrorEditor jp-Editor jp-InputArea-editor" data-type="inline">
     <div class="cm-editor cm-s-jupyter">
{{ cell.source | highlight_code(metadata=cell.metadata) }}
     </div>
</div>
{%- endblock input %}
"""
STYLE = """<style>
body { max-width: 60rem; margin: auto; padding: 0 1rem 2rem; font-family: system-ui, sans-serif;
       line-height: 1.5; }
nav.course { position: sticky; top: 0; background: #fff; border-bottom: 1px solid #ddd;
             padding: .5rem 0; margin-bottom: 1rem; font-size: .95rem; z-index: 10; }
nav.course a { margin-right: 1rem; }
table { border-collapse: collapse; } td, th { border: 1px solid #ccc; padding: .2rem .5rem; }
img { max-width: 100%; }
</style>"""
PAGE = """<!DOCTYPE html>
<html lang="{lang}"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{title}</title>{style}
</head>
<body>{nav}<main>{body}</main>{nav}</body></html>"""


def notebooks(lang: str = "en") -> list[Path]:
    folder = ROOT / "notebooks" if lang == "en" else ROOT / lang / "notebooks"
    return sorted(folder.glob("[0-9][0-9]_*.ipynb"))


ZH_LABELS = {"Course map": "课程地图", "instructor-guide": "教师指南", "glossary": "术语表",
             "seed-table": "种子表", "study-note-zh": "学习笔记"}


def nav(pages: list[str], current: str | None, lang: str = "en", other: str | None = None) -> str:
    """The navigation bar: course map, previous/next notebook, the guides, and (other) the same
    page in the other language, as a path from this page."""
    zh = lang != "en"
    up = "../" if zh else ""
    links = [f'<a href="index.html">{ZH_LABELS["Course map"] if zh else "Course map"}</a>']
    if current in pages:
        i = pages.index(current)
        if i > 0:
            links.append(f'<a href="{pages[i - 1]}.html">← {pages[i - 1][:2]}</a>')
        if i + 1 < len(pages):
            links.append(f'<a href="{pages[i + 1]}.html">{pages[i + 1][:2]} →</a>')
    for name, label in GUIDES.items():
        if zh and (ROOT / lang / "docs" / f"{name}.md").exists():
            links.append(f'<a href="{name}.html">{ZH_LABELS[name]}</a>')
        elif (ROOT / "docs" / f"{name}.md").exists():
            links.append(f'<a href="{up}{name}.html">{ZH_LABELS[name] if zh else label}</a>')
    if other:
        links.append(f'<a href="{other}" lang="{"en" if zh else "zh"}">'
                     f'{"English" if zh else "中文"}</a>')
    return f'<nav class="course">{" ".join(links)}</nav>'


def render_math(markdown: str) -> str:
    """Every $…$ and $$…$$ outside code, typeset as MathML (no script needed to read it)."""
    def typeset(m: re.Match) -> str:
        display = m[1] is not None
        return latex_to_mathml((m[1] if display else m[2]).strip(),
                               display="block" if display else "inline")
    parts = CODE.split(markdown)  # odd indices are code: left alone
    return "".join(p if i % 2 else MATH.sub(typeset, p) for i, p in enumerate(parts))


# Other markdown files the pages link to, each built as a page: path -> (title, its folder).
OTHER_PAGES = {"data/README.md": ("Data", "data")}


def page_name(target: str) -> str | None:
    """The site page (a path from the site's root) of a repository file, or None if it has none.

    'notebooks/01_x.ipynb' -> '01_x.html', 'README.md' -> 'index.html',
    'docs/glossary.md' -> 'glossary.html', 'data/README.md' -> 'data-README.html',
    'zh/notebooks/01_x.ipynb' -> 'zh/01_x.html', 'README.zh.md' -> 'zh/index.html',
    'zh/docs/instructor-guide.md' -> 'zh/instructor-guide.html'."""
    if m := re.fullmatch(r"(zh/)?notebooks/(\d\d_[a-z0-9_]+)\.ipynb", target):
        return f"{m[1] or ''}{m[2]}.html"
    if target in ("README.md", "README.zh.md"):
        return "zh/index.html" if ".zh." in target else "index.html"
    if m := re.fullmatch(r"(zh/)?docs/([a-z-]+)\.md", target):
        if m[2] in GUIDES:
            return f"{m[1] or ''}{m[2]}.html"
    if target in OTHER_PAGES:
        return target[:-3].replace("/", "-") + ".html"
    return None


def local_links(text: str, base: str = "", here: str = "") -> str:
    """Links to notebooks and markdown files point to their pages on the site; links to other
    files of the repository point to the repository. base: the linking file's folder in the
    repository; here: the page's folder in the site ('' or 'zh')."""
    def fix(m: re.Match) -> str:
        href = m[1]
        if re.match(r"[a-z]+:|#|//", href) or re.fullmatch(r"(\.\./|zh/)?[\w-]+\.html(#.*)?", href):
            return m[0]  # external, an anchor, or already a page of the site
        path, _, anchor = href.partition("#")
        resolved = os.path.normpath(os.path.join(base, path)).replace(os.sep, "/")
        page = page_name(resolved)
        anchor = f"#{anchor}" if anchor else ""
        if page is None:
            return f'href="{REPO_URL}/blob/main/{resolved}{anchor}"'
        return f'href="{Path(os.path.relpath(page, here or ".")).as_posix()}{anchor}"'
    return re.sub(r'href="([^"]*)"', fix, text)


def markdown_page(source: str, title: str, pages: list[str], base: str = "",
                  here: str = "", other: str | None = None) -> str:
    """A markdown file as a page. A picture from the network becomes a link to it (the page
    loads nothing from the network); a badge inside a link stays a picture with its alt text."""
    source = re.sub(r"(?<!\[)!\[([^\]]*)\]\((https?://[^)\s]+)\)",
                    lambda m: f"[{m[1] or 'picture'} (online)]({m[2]})", source)
    body = local_links(markdown2html_mistune(render_math(source)), base, here)
    lang = "zh" if here else "en"
    return PAGE.format(lang=lang, title=html.escape(title), style=STYLE,
                       nav=nav(pages, None, lang, other), body=body)


class _AsWritten(str):
    """Stands in for BeautifulSoup at the end of HTMLExporter.from_notebook_node: that pass
    re-parses the whole page to give a placeholder to figures without alt text (the template
    above writes every figure's own) and to make cells focusable (FOCUSABLE below). It took
    half the site's build time."""

    def __new__(cls, html, features=None):
        return super().__new__(cls, html)

    def select(self, selector):
        return []


FOCUSABLE = re.compile(r'(<div class="(?:jp-Cell-inputWrapper|[^"]*\bjp-OutputArea-output\b[^"]*)"'
                       r'[^>]*)>')


@functools.cache
def exporter() -> HTMLExporter:
    """nbconvert's HTML exporter with the site's template, built once for every page."""
    return HTMLExporter(template_file="site.html.j2", extra_loaders=[
        jinja2.DictLoader({"site.html.j2": NOTEBOOK_TEMPLATE})])


def notebook_page(path: Path, pages: list[str], here: str = "", other: str | None = None) -> str:
    """The committed notebook as HTML (outputs as stored), with the course's navigation bar."""
    nb = nbformat.read(path, as_version=4)
    for cell in nb.cells:
        if cell.cell_type == "markdown":
            cell.source = render_math(cell.source)
    with mock.patch("nbconvert.exporters.html.BeautifulSoup", _AsWritten):
        body, _ = exporter().from_notebook_node(nb)
    body = FOCUSABLE.sub(r'\1 tabindex="0">', body)  # keyboard users can scroll wide cells
    bar = nav(pages, path.stem, "zh" if here else "en", other)
    body = re.sub(r"(<body[^>]*>)", lambda m: m[1] + bar, body, count=1)
    body = body.replace("</body>", bar + "</body>", 1)
    if here:
        body = body.replace('<html lang="en">', '<html lang="zh">', 1)
    return local_links(body, f"{here}/notebooks" if here else "notebooks", here)


def build(out: Path) -> list[Path]:
    """Write the whole site into ``out`` (replacing it); return the pages written."""
    if out.exists():
        shutil.rmtree(out)
    (out / "zh").mkdir(parents=True)
    pages, zh_pages = [p.stem for p in notebooks()], [p.stem for p in notebooks("zh")]

    def md(path: Path, *args) -> functools.partial:
        return functools.partial(markdown_page, path.read_text(encoding="utf-8"), *args)

    # every page: its path in the site -> a call that makes it, given other= (its translation)
    jobs = {"index.html": md(ROOT / "README.md", "ICS and Batch Normalization", pages)}
    for path in notebooks():
        jobs[f"{path.stem}.html"] = functools.partial(notebook_page, path, pages)
    for name, label in GUIDES.items():
        if (ROOT / "docs" / f"{name}.md").exists():
            jobs[f"{name}.html"] = md(ROOT / "docs" / f"{name}.md", label, pages, "docs")
    for target, (label, base) in OTHER_PAGES.items():
        if (ROOT / target).exists():
            jobs[page_name(target)] = md(ROOT / target, label, pages, base)
    # the Chinese edition
    if (ROOT / "README.zh.md").exists():
        jobs["zh/index.html"] = md(ROOT / "README.zh.md", "内部协变量偏移与批归一化", zh_pages,
                                   "", "zh")
    for path in notebooks("zh"):
        jobs[f"zh/{path.stem}.html"] = functools.partial(notebook_page, path, zh_pages, "zh")
    for name in GUIDES:
        if (ROOT / "zh" / "docs" / f"{name}.md").exists():
            jobs[f"zh/{name}.html"] = md(ROOT / "zh" / "docs" / f"{name}.md", ZH_LABELS[name],
                                         zh_pages, "zh/docs", "zh")

    written = []
    for rel, make in jobs.items():
        twin = rel[3:] if rel.startswith("zh/") else f"zh/{rel}"  # the page in the other language
        other = os.path.relpath(twin, os.path.dirname(rel) or ".") if twin in jobs else None
        (out / rel).write_text(make(other=other), encoding="utf-8")
        written.append(out / rel)
    return written


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=ROOT / "site")
    args = parser.parse_args()
    start = time.perf_counter()
    written = build(args.out)
    print(f"wrote {len(written)} pages to {args.out} in {time.perf_counter() - start:.1f} s; "
          f"open {args.out / 'index.html'}")


if __name__ == "__main__":
    main()
