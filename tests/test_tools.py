"""The bootstrap cell in a faked Colab, student versions, URL sync, and the project files."""

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import nbformat
import pytest
from course import (
    PLACEHOLDER_URL,
    REPO_URL,
    bootstrap_source,
    colab_badge,
    colab_links,
    repo_name,
)
from make_student import strip_solutions, student_version
from release_check import problems
from sync_course import GUIDE, HINT_SPAN, hint_cells, sync_hints

ROOT = Path(__file__).resolve().parent.parent

FAKE_COLAB = """
import sys, types
google = types.ModuleType("google"); colab = types.ModuleType("google.colab")
google.colab = colab; sys.modules["google"] = google; sys.modules["google.colab"] = colab
"""
AFTER = """
import os, helpers, helpers.data
from pathlib import Path
x, y = helpers.data.load_mnist("test")
print("HELPERS", Path(helpers.__file__).resolve())
print("CWD", Path.cwd().resolve())
print("SHAPE", x.shape)
"""


@pytest.mark.skipif(shutil.which("git") is None or not (ROOT / ".git").exists(),
                    reason="needs git and a git checkout of the course")
def test_bootstrap_in_fake_colab_clones_and_imports(tmp_path):
    url = ROOT.as_uri()  # a local clone URL instead of GitHub
    code = FAKE_COLAB + bootstrap_source(url) + "\n" + AFTER
    env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}
    env["COURSE_HOME"] = str(tmp_path)
    out = subprocess.run([sys.executable, "-c", code], cwd=tmp_path, env=env, text=True,
                         capture_output=True, timeout=120)
    assert out.returncode == 0, out.stderr
    clone = (tmp_path / repo_name(url)).resolve()
    assert f"HELPERS {clone / 'helpers' / '__init__.py'}" in out.stdout, out.stdout
    assert f"CWD {clone / 'notebooks'}" in out.stdout
    assert "SHAPE (1000, 784)" in out.stdout


def test_bootstrap_locally_finds_the_course_root(tmp_path):
    code = bootstrap_source() + "\nprint('ROOT', ROOT.resolve())"
    out = subprocess.run([sys.executable, "-c", code], cwd=ROOT / "notebooks", text=True,
                         capture_output=True, timeout=60)
    assert out.returncode == 0, out.stderr
    assert f"ROOT {ROOT.resolve()}" in out.stdout


def test_repo_url_is_defined_once_and_in_step():
    assert repo_name() in REPO_URL
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    assert colab_badge("00_start_here.ipynb") in readme
    hits = [p for p in ROOT.rglob("*.py") if ".venv" not in p.parts and REPO_URL in p.read_text()]
    assert hits == [ROOT / "tools" / "course.py"], "REPO_URL must live only in tools/course.py"


def test_course_maps_open_each_hand_out_and_answer_key_in_colab():
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    start_here = (ROOT / "notebooks" / "00_start_here.ipynb").read_text(encoding="utf-8")
    for path in sorted((ROOT / "notebooks").glob("*.ipynb")):
        assert colab_links(path.name) in readme, f"README map: no Colab links for {path.name}"
        assert colab_links(path.name) in start_here, f"notebook 00's map: none for {path.name}"


def test_the_guide_quotes_every_exercises_hints_from_its_notebook():
    hints = hint_cells(sorted((ROOT / "notebooks").glob("*.ipynb")))
    text = GUIDE.read_text(encoding="utf-8")
    quoted = [m[1] for m in HINT_SPAN.finditer(text)]
    odd = sorted(i for i in quoted if quoted.count(i) > 1 or i not in hints)
    assert sorted(quoted) == sorted(hints), \
        f"hint cells the guide does not quote: {sorted(set(hints) - set(quoted))}; " \
        f"quoted twice or unknown: {odd}"
    assert sync_hints(text, hints) == text, \
        "the guide's hints differ from the notebooks': run `make sync`"


def test_strip_solutions_keeps_indentation_and_the_rest():
    src = ("def f(x):\n    ### BEGIN SOLUTION\n    secret = x + 1\n    return secret\n"
           "    ### END SOLUTION\n\nprint('after')")
    out = strip_solutions(src)
    assert "secret" not in out and "print('after')" in out
    assert "    # YOUR CODE HERE\n    raise NotImplementedError\n" in out
    with pytest.raises(ValueError, match="unbalanced"):
        strip_solutions("### BEGIN SOLUTION\nx = 1\n")


def test_student_predictions_are_left_unset():
    out = strip_solutions('PREDICTION = "b"  # the answer key\nprint(PREDICTION)')
    assert out.startswith("PREDICTION = None") and "print(PREDICTION)" in out


def test_student_versions_have_no_solutions_and_are_valid():
    block = re.compile(r"### BEGIN SOLUTION[^\n]*\n(.*?)### END SOLUTION[^\n]*", re.S)
    for path in sorted((ROOT / "notebooks").glob("*.ipynb")):
        original = nbformat.read(path, as_version=4)
        student = student_version(original)
        nbformat.validate(student)
        assert "NotImplementedError" in "".join(c.source for c in student.cells)
        for before, after in zip(original.cells, student.cells):
            if before.cell_type != "code":
                continue
            assert not after.outputs and after.execution_count is None
            assert "SOLUTION" not in after.source
            outside = block.sub("", before.source)  # what the student version may keep
            for solution in block.findall(before.source):
                for line in solution.splitlines():
                    if len(line.strip()) > 12 and line.strip() not in outside:
                        assert line.strip() not in after.source, \
                            f"{path.name}: solution line survived: {line.strip()}"


def test_requirements_and_environment_name_the_same_packages():
    lines = [line for name in ("requirements.txt", "requirements-lab.txt")
             for line in (ROOT / name).read_text().splitlines()]
    assert "-r requirements.txt" in lines, "requirements-lab.txt must include the tests' set"
    req = {re.split(r"[=<>\[ ]", line)[0].lower() for line in lines
           if line.strip() and not line.startswith(("#", "-r"))}
    env_lines = (ROOT / "environment.yml").read_text().splitlines()
    deps = [ln.strip()[2:] for ln in env_lines if re.match(r"\s+- [a-z]", ln)]
    conda = {re.split(r"[=<> ]", d)[0].lower() for d in deps} - {"python", "pip", "conda-forge",
                                                                  "nodefaults"}
    conda = {"torch" if name == "pytorch" else name for name in conda}
    assert req == conda, f"only in requirements: {req - conda}; only in environment: {conda - req}"
    assert "torch==2.13.0" in (ROOT / "requirements.txt").read_text()
    requirements = "\n".join(lines)
    pins = dict(re.findall(r"^([a-z-]+)==(\d+\.\d+)", requirements, re.M))
    for dep in deps:
        name, _, version = dep.partition("=")
        name = "torch" if name == "pytorch" else name
        if name in pins:
            assert version.startswith(pins[name] + "."), f"{name}: {version} vs {pins[name]}"
    assert "conda-forge" in env_lines[env_lines.index("channels:") + 1]


def test_ci_runs_the_readme_test_command():
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    ci = (ROOT / ".ci" / "run").read_text()
    assert "make test" in readme and ci.strip().splitlines()[-1] == "make test"


def test_release_check_fails_on_the_placeholder_and_on_notebooks_out_of_step():
    assert any("placeholder" in p for p in problems(PLACEHOLDER_URL))
    assert not any("does not use" in p for p in problems(REPO_URL)), "notebooks in step today"
    elsewhere = problems("https://github.com/someone/some-course")
    assert not any("placeholder" in p for p in elsewhere)
    assert any("00_start_here.ipynb does not use REPO_URL" in p for p in elsewhere)


def test_student_versions_mark_themselves_as_hand_outs():
    out = strip_solutions('workshop.start("01", seed=SEED, record=RECORD)')
    assert out == 'workshop.start("01", seed=SEED, record=RECORD, handout=True)'
    assert strip_solutions(out) == out
