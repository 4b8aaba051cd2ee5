"""make site: a page per notebook with its figures, mathematics rendered offline, no broken link."""

import posixpath
import re
from html.parser import HTMLParser
from pathlib import Path

import nbformat
import pytest
from build_site import build, notebooks

ROOT = Path(__file__).resolve().parent.parent
MATH = re.compile(r"\$\$.+?\$\$|\$(?:[^$\n]|\n(?!\n))+?\$|\\\(.+?\\\)|\\\[.+?\\\]", re.S)


class ProseText(HTMLParser):
    """The text a reader sees as prose: everything outside code, outputs, scripts and styles."""

    SKIP = {"pre", "code", "script", "style", "textarea", "title"}

    def __init__(self):
        super().__init__()
        self.depth, self.parts = 0, []

    def handle_starttag(self, tag, attrs):
        self.depth += tag in self.SKIP

    def handle_endtag(self, tag):
        self.depth -= tag in self.SKIP

    def handle_data(self, data):
        if not self.depth:
            self.parts.append(data)


def prose(page: Path) -> str:
    parser = ProseText()
    parser.feed(page.read_text(encoding="utf-8"))
    return "".join(parser.parts)


@pytest.fixture(scope="module")
def site(tmp_path_factory):
    out = tmp_path_factory.mktemp("site")
    build(out)
    return out


def test_every_notebook_has_a_page_with_navigation(site):
    assert (site / "index.html").exists()
    for path in notebooks():
        page = (site / f"{path.stem}.html").read_text(encoding="utf-8")
        assert page.count('<nav class="course">') == 2 and 'href="index.html"' in page
        assert ".ipynb\"" not in re.sub(r"colab\.research\.google\.com[^\"]*", "", page), \
            f"{path.name}: a link still points to a notebook file instead of its page"


def test_every_page_contains_its_figures(site):
    for path in notebooks():
        nb = nbformat.read(path, as_version=4)
        figures = sum("image/png" in out.get("data", {})
                      for cell in nb.cells if cell.cell_type == "code" for out in cell.outputs)
        page = (site / f"{path.stem}.html").read_text(encoding="utf-8")
        assert page.count("data:image/png;base64") >= figures, f"{path.name} lacks figures"


def test_no_raw_markdown_and_latex_only_inside_math(site):
    for page in sorted(site.rglob("*.html")):
        text = prose(page)
        outside_math = MATH.sub(" ", text)
        for pattern, what in ((r"\*\*\w", "bold markers **"), (r"\]\(", "a markdown link"),
                              (r"^#{1,6} ", "a heading marker"),
                              (r"\\(frac|mathcal|sqrt|sum|hat|mathbb|left|right)\b",
                               "a LaTeX command outside $...$")):
            hit = re.search(pattern, outside_math, re.M)
            context = outside_math[max(hit.start() - 40, 0):hit.end() + 40] if hit else ""
            assert not hit, f"{page.name}: raw {what}: …{context}…"


def test_pages_work_offline_with_mathematics_as_mathml(site):
    for page in sorted(site.rglob("*.html")):
        text = page.read_text(encoding="utf-8")
        remote = re.findall(r'<(?:script|link|img)[^>]*(?:src|href)="(?:https?:)?//[^"]*"', text)
        remote = [r for r in remote if "colab-badge" not in r]  # the badge is a link's picture
        assert not remote, f"{page.name} loads from the network: {remote[:2]}"
    lesson = (site / "05_batchnorm_layer.html").read_text(encoding="utf-8")
    assert lesson.count("<math") > 20 and "MathJax" not in lesson


def test_every_local_link_and_anchor_resolves(site):
    ids = {page.relative_to(site).as_posix():
           set(re.findall(r'\b(?:id|name)="([^"]+)"', page.read_text("utf-8")))
           for page in site.rglob("*.html")}
    broken = []
    for page in sorted(site.rglob("*.html")):
        rel = page.relative_to(site).as_posix()
        for href in re.findall(r'href="([^"]*)"', page.read_text(encoding="utf-8")):
            if re.match(r"[a-z]+:|//", href):
                continue
            target, _, anchor = href.partition("#")
            target = posixpath.normpath(posixpath.join(posixpath.dirname(rel), target)) \
                if target else rel
            if target not in ids or (anchor and anchor not in ids[target]):
                broken.append(f"{rel} -> {href}")
    assert not broken, "broken links:\n" + "\n".join(broken)


def test_each_page_links_to_its_translation_and_back(site):
    for page in sorted((site / "zh").glob("*.html")):
        twin = site / page.name
        assert twin.exists(), f"zh/{page.name} has no English page"
        assert f'href="../{page.name}" lang="en"' in page.read_text(encoding="utf-8")
        assert f'href="zh/{page.name}" lang="zh"' in twin.read_text(encoding="utf-8"), \
            f"{page.name} does not link to its Chinese page"


def test_every_figure_has_alt_text_in_words(site):
    for path in notebooks():
        page = (site / f"{path.stem}.html").read_text(encoding="utf-8")
        for alt in re.findall(r'<img src="data:image/png[^>]*?alt="([^"]*)"', page):
            assert alt.startswith("Figure") and alt != "Figure", \
                f"{path.name}: a figure without a description (re-execute the notebook)"


def test_the_landing_page_is_the_course_map(site):
    index = (site / "index.html").read_text(encoding="utf-8")
    for path in notebooks():
        assert f'href="{path.stem}.html"' in index, f"the course map lacks {path.name}"
