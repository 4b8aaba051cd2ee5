# The course's commands. Needs Python >= 3.10 and make; everything else is installed into .venv.
#   make lab      set up (first time) and open the course in JupyterLab
#                 (on a server: make lab NO_BROWSER=1 [PORT=8888])
#   make test     set up (first time; JupyterLab is not needed for it and is installed by
#                 make lab), then lint + unit tests + every notebook under nbval
#   make execute  re-run every notebook top to bottom and save its outputs (NB=path for one),
#                 then rewrite the study times, the hand-outs and the Chinese edition
#   make student  write the hand-outs (solutions removed) to student/ (committed)
#   make zh       write the Chinese edition (zh/, README.zh.md) from translations/zh/ (committed)
#                 (tools/translate.py: notebooks and hand-outs; tools/translate_docs.py: the guide)
#   make sync     write tools/course.py's repository URL into bootstraps and badges, and
#                 each exercise's hints from its notebook into the instructor guide
#   make site     build the readable website from the committed notebooks into site/
#   make release-check   fail while the repository URL is still the placeholder
# Optional: PIP_ARGS="--index-url https://download.pytorch.org/whl/cpu --extra-index-url https://pypi.org/simple"
# for a CPU-only torch wheel on Linux machines whose default torch is the large CUDA build.

PYTHON ?= python3
VENV   ?= .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed
LAB_STAMP := $(VENV)/.lab-installed
PORT   ?= 8888
PIP_ARGS ?=
PIP    := $(BIN)/python -m pip install --quiet --disable-pip-version-check --no-compile

# pip installs without compiling (on one core, it compiled all 11,000 modules: a third of the
# set-up); Python compiles the modules a program imports when it first imports them and keeps
# the result in .venv, also where the environment turns that cache off.
unexport PYTHONDONTWRITEBYTECODE

.PHONY: setup lab test execute student zh sync site release-check study-time clean

setup: $(STAMP)

$(STAMP): requirements.txt pyproject.toml
	@$(PYTHON) -c "import sys; sys.exit(0 if sys.version_info >= (3, 10) else 'The course needs Python >= 3.10; found ' + sys.version.split()[0] + '. Try: make PYTHON=python3.12 ...')"
	$(PYTHON) -m venv $(VENV)
	@# pip unpacks on one core and torch's wheel is a third of the install: torch goes in beside
	@# the other packages (neither pip warns that the other's half is missing), then pip adds
	@# torch's own dependencies and checks the whole set.
	@grep -v '^torch==' requirements.txt > $(VENV)/requirements-but-torch.txt
	$(PIP) $(PIP_ARGS) --no-warn-conflicts --no-deps $$(grep '^torch==' requirements.txt) & torch=$$!; \
	$(PIP) $(PIP_ARGS) --no-warn-conflicts -r $(VENV)/requirements-but-torch.txt; rest=$$?; \
	wait $$torch && test $$rest = 0
	$(PIP) $(PIP_ARGS) -r requirements.txt
	@# the course's helpers, importable from .venv; the venv's own setuptools builds the link
	@# where it has one (an isolated build installs setuptools again: 3 s)
	$(PIP) --no-deps --no-build-isolation -e . 2>/dev/null || $(PIP) --no-deps -e .
	@touch $(STAMP)

$(LAB_STAMP): $(STAMP) requirements-lab.txt
	$(PIP) $(PIP_ARGS) -r requirements-lab.txt
	@touch $(LAB_STAMP)

lab: $(LAB_STAMP)
	$(BIN)/jupyter lab --notebook-dir=notebooks --port=$(PORT) $(if $(NO_BROWSER),--no-browser --ip=0.0.0.0,) $(if $(filter 0,$(shell id -u 2>/dev/null)),--allow-root,)

test: setup
	$(BIN)/python tools/run_tests.py

execute: setup
	$(BIN)/python tools/execute_notebooks.py $(NB)
	$(BIN)/python tools/study_time.py --write
	$(BIN)/python tools/make_student.py
	$(BIN)/python tools/sync_course.py
	$(BIN)/python tools/translate.py
	$(BIN)/python tools/translate_docs.py

student: setup
	$(BIN)/python tools/make_student.py

zh: setup
	$(BIN)/python tools/translate.py
	$(BIN)/python tools/translate_docs.py

sync: setup
	$(BIN)/python tools/sync_course.py
	$(BIN)/python tools/translate.py
	$(BIN)/python tools/translate_docs.py

site: setup
	$(BIN)/python tools/build_site.py

study-time: setup
	$(BIN)/python tools/study_time.py

release-check: setup
	$(BIN)/python tools/release_check.py

clean:
	rm -rf $(VENV) student site .pytest_cache .ruff_cache
