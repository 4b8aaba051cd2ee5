"""pytest set-up for the whole repository (tests/conftest.py has the unit tests' own)."""

pytest_plugins = ["tests.handout_check"]  # hand-outs checked beside nbval's run of each notebook
