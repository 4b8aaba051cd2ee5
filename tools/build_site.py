"""Build the readable website of the course from the committed notebooks (nothing is re-run).

    python tools/build_site.py [--out site]        (or: make site)

Writes <out>/index.html (the README: course map, set-up, workshops), one page per notebook
(NN_name.html: its prose, code, printed results and figures), a page for each guide in docs/
(instructor guide, glossary, seed table, the study note) and for every other markdown file a page
links to (data/README.md). Every page has the same navigation bar: the course map, the previous
and the next notebook, the guides. Links between notebooks (…ipynb) and markdown files point to
their pages; links to other files of the repository point to the repository.

The site works offline: the mathematics is typeset at build time as MathML (latex2mathml), which
browsers display without a script, and no page loads anything from the network. Every figure has
alt text: the titles of its panels (``helpers.environment.crisp_png`` stores them). Publish the
folder as it is, e.g. on GitHub Pages.
"""

from __future__ import annotations

import argparse
import html
import re
import shutil
import time
from pathlib import Path

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
<html lang="en"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{title}</title>{style}
</head>
<body>{nav}<main>{body}</main>{nav}</body></html>"""


def notebooks() -> list[Path]:
    return sorted((ROOT / "notebooks").glob("[0-9][0-9]_*.ipynb"))


def nav(pages: list[str], current: str | None) -> str:
    """The navigation bar: course map, previous/next notebook, the guides."""
    links = ['<a href="index.html">Course map</a>']
    if current in pages:
        i = pages.index(current)
        if i > 0:
            links.append(f'<a href="{pages[i - 1]}.html">← {pages[i - 1][:2]}</a>')
        if i + 1 < len(pages):
            links.append(f'<a href="{pages[i + 1]}.html">{pages[i + 1][:2]} →</a>')
    links += [f'<a href="{name}.html">{label}</a>' for name, label in GUIDES.items()
              if (ROOT / "docs" / f"{name}.md").exists()]
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
OTHER_PAGES = {"data/README.md": ("Data", "data"), "README.zh.md": ("中文版 Chinese edition", "")}


def page_name(target: str) -> str | None:
    """The site page of a repository file a link points to, or None if it has none.

    'notebooks/01_x.ipynb' -> '01_x.html', 'README.md' -> 'index.html',
    'docs/glossary.md' -> 'glossary.html', 'data/README.md' -> 'data-README.html'."""
    target = re.sub(r"^(\.\./)+|^\./", "", target)
    if m := re.fullmatch(r"(?:notebooks/)?(\d\d_[a-z0-9_]+)\.ipynb", target):
        return f"{m[1]}.html"
    if target == "README.md":
        return "index.html"
    if m := re.fullmatch(r"(?:docs/)?([a-z-]+)\.md", target):
        if m[1] in GUIDES:
            return f"{m[1]}.html"
    if target in OTHER_PAGES:
        return target[:-3].replace("/", "-") + ".html"
    return None


def local_links(text: str, base: str = "") -> str:
    """Links to notebooks and markdown files point to their pages on the site; links to other
    files of the repository point to the repository. base: the linking file's folder."""
    def fix(m: re.Match) -> str:
        href = m[1]
        if re.match(r"[a-z]+:|#|//", href) or re.fullmatch(r"[\w-]+\.html(#.*)?", href):
            return m[0]  # external, an anchor, or already a page of the site
        path, _, anchor = href.partition("#")
        resolved = (Path(base) / path).as_posix() if base and not path.startswith("..") \
            else re.sub(r"^\.\./", "", path)
        page = page_name(resolved)
        if page is None:
            return f'href="{REPO_URL}/blob/main/{resolved}{"#" + anchor if anchor else ""}"'
        return f'href="{page}{"#" + anchor if anchor else ""}"'
    return re.sub(r'href="([^"]*)"', fix, text)


def markdown_page(source: str, title: str, pages: list[str], base: str = "") -> str:
    """A markdown file as a page. A picture from the network becomes a link to it (the page
    loads nothing from the network); a badge inside a link stays a picture with its alt text."""
    source = re.sub(r"(?<!\[)!\[([^\]]*)\]\((https?://[^)\s]+)\)",
                    lambda m: f"[{m[1] or 'picture'} (online)]({m[2]})", source)
    body = local_links(markdown2html_mistune(render_math(source)), base)
    return PAGE.format(title=html.escape(title), style=STYLE, nav=nav(pages, None), body=body)


def notebook_page(path: Path, pages: list[str]) -> str:
    """The committed notebook as HTML (outputs as stored), with the course's navigation bar."""
    nb = nbformat.read(path, as_version=4)
    for cell in nb.cells:
        if cell.cell_type == "markdown":
            cell.source = render_math(cell.source)
    exporter = HTMLExporter(template_file="site.html.j2", extra_loaders=[
        jinja2.DictLoader({"site.html.j2": NOTEBOOK_TEMPLATE})])
    body, _ = exporter.from_notebook_node(nb)
    bar = nav(pages, path.stem)
    body = re.sub(r"(<body[^>]*>)", lambda m: m[1] + bar, body, count=1)
    body = body.replace("</body>", bar + "</body>", 1)
    return local_links(body, "notebooks")


def build(out: Path) -> list[Path]:
    """Write the whole site into ``out`` (replacing it); return the pages written."""
    if out.exists():
        shutil.rmtree(out)
    out.mkdir(parents=True)
    pages = [p.stem for p in notebooks()]
    written = [out / "index.html"]
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    written[0].write_text(markdown_page(readme, "ICS and Batch Normalization", pages), "utf-8")
    for path in notebooks():
        page = out / f"{path.stem}.html"
        page.write_text(notebook_page(path, pages), encoding="utf-8")
        written.append(page)
    for name, label in GUIDES.items():
        source = ROOT / "docs" / f"{name}.md"
        if source.exists():
            page = out / f"{name}.html"
            page.write_text(markdown_page(source.read_text(encoding="utf-8"), label, pages,
                                          "docs"), encoding="utf-8")
            written.append(page)
    for target, (label, base) in OTHER_PAGES.items():
        source = ROOT / target
        if not source.exists():
            continue
        page = out / page_name(target)
        page.write_text(markdown_page(source.read_text(encoding="utf-8"), label, pages, base),
                        encoding="utf-8")
        written.append(page)
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
