"""Build the readable website of the course from the committed notebooks (nothing is re-run).

    python tools/build_site.py [--out site]        (or: make site)

Writes <out>/index.html (the README: course map, set-up, workshops), one page per notebook
(NN_name.html: its prose, code, printed results and figures, mathematics typeset by MathJax),
and a page for each guide in docs/ (instructor guide, glossary). Every page has the same
navigation bar: the course map, the previous and the next notebook, the guides. Links between
notebooks (…ipynb) point to their pages. Publish the folder as it is, e.g. on GitHub Pages.
"""

from __future__ import annotations

import argparse
import html
import re
import shutil
import time
from pathlib import Path

import nbformat
from nbconvert import HTMLExporter
from nbconvert.filters.markdown_mistune import markdown2html_mistune

ROOT = Path(__file__).resolve().parent.parent
GUIDES = {"instructor-guide": "Instructor guide", "glossary": "Glossary 术语表",
          "seed-table": "Seeds 0–29"}
MATHJAX = ("https://cdnjs.cloudflare.com/ajax/libs/mathjax/2.7.7/latest.js"
           "?config=TeX-AMS_CHTML-full,Safe")
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
<script type="text/x-mathjax-config">MathJax.Hub.Config({{tex2jax: {{inlineMath: [['$','$'],
['\\\\(','\\\\)']], processEscapes: true}}}});</script>
<script src="{mathjax}"></script></head>
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


def local_links(text: str) -> str:
    """Links to notebooks and guides point to their pages on the site."""
    text = re.sub(r'href="(?:\.\./)?(?:notebooks/)?(\d\d_[a-z0-9_]+)\.ipynb"', r'href="\1.html"',
                  text)
    return re.sub(r'href="(?:\.\./)?(?:docs/)?([a-z-]+)\.md"', r'href="\1.html"', text)


def markdown_page(source: str, title: str, pages: list[str]) -> str:
    body = local_links(markdown2html_mistune(source))
    return PAGE.format(title=html.escape(title), style=STYLE, mathjax=MATHJAX,
                       nav=nav(pages, None), body=body)


def notebook_page(path: Path, pages: list[str]) -> str:
    """The committed notebook as HTML (outputs as stored), with the course's navigation bar."""
    nb = nbformat.read(path, as_version=4)
    exporter = HTMLExporter(template_name="lab", mathjax_url=MATHJAX)
    body, _ = exporter.from_notebook_node(nb)
    bar = nav(pages, path.stem)
    body = re.sub(r"(<body[^>]*>)", lambda m: m[1] + bar, body, count=1)
    body = body.replace("</body>", bar + "</body>", 1)
    return local_links(body)


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
            page.write_text(markdown_page(source.read_text(encoding="utf-8"), label, pages),
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
