"""Exercises in the notebooks: an unsolved exercise says so, and Run All still reaches the end.

In the hand-outs (``make student``) every solution is replaced by ``raise NotImplementedError``.
Marking the exercise's function with ``@exercise`` turns that into a message with a hint, and the
notebook goes on with the course's own version (``fallback``); a wrong answer is still caught by
the check cell that follows, and in the answer key a wrong solution still fails the tests::

    from helpers.exercises import exercise
    from helpers.normalization import batchnorm_backward

    @exercise("5.2", fallback=batchnorm_backward, hint="Start from the three paths to x_i.")
    def my_backward(dout, cache):
        ### BEGIN SOLUTION
        ...
        ### END SOLUTION

Wrap the check cell of exercise "5.2" in ``with unsolved_ok("5.2"):``. Inside that block the
exercise's function never falls back: unsolved, it raises, the block says "not solved yet" and
the check is skipped, so a check never passes on the course's version. Any other error (a failed
check: a wrong answer) is raised as usual. Taught in notebook 00.
"""

from __future__ import annotations

import functools
from contextlib import contextmanager

_said: set[tuple[str, int]] = set()  # (exercise, cell) pairs already told, to say it once a cell
_checking: list[str] = []  # the exercises whose check is running (``unsolved_ok`` blocks)
_hints: dict[str, str] = {}  # each exercise's first hint, for its check's message


def _cell() -> int:
    """The running notebook cell's number (0 outside IPython)."""
    try:
        from IPython import get_ipython
    except ImportError:
        return 0
    shell = get_ipython()
    return getattr(shell, "execution_count", 0) if shell is not None else 0


def not_solved_message(name: str, hint: str | None = None, fallback: bool = True) -> str:
    """What a learner reads when exercise ``name`` is not solved yet."""
    text = f"Exercise {name} is not solved yet (it raises NotImplementedError)."
    if hint:
        text += f" Hint: {hint}"
    text += " Open the hints under the exercise for more."
    if fallback:
        text += " Until you solve it, the notebook uses the course's own version."
    return text


def _say_once(name: str, hint: str | None, fallback: bool) -> None:
    key = (name, _cell())
    if key not in _said:
        _said.add(key)
        print(not_solved_message(name, hint, fallback))


def exercise(name: str, fallback=None, hint: str | None = None):
    """Decorator for an exercise's function: unsolved, it says so and calls ``fallback``.

    name: the exercise's number, e.g. "5.2". fallback: the course's version with the same
    arguments (None: the ``NotImplementedError`` is raised after the message). hint: one
    sentence, the first hint. Inside ``unsolved_ok(name)`` (the exercise's check) the error is
    always raised, never replaced by the fallback. The decorated function keeps its name and
    docstring; ``f.solved`` is False once it has raised ``NotImplementedError``.
    """
    if not isinstance(name, str) or not name:
        raise ValueError(f"exercise: name must be the exercise's number such as '5.2', "
                         f"got {name!r}")
    if fallback is not None and not callable(fallback):
        raise ValueError(f"exercise {name}: fallback must be a function, got {fallback!r}")

    if hint:
        _hints[name] = hint

    def decorate(f):
        @functools.wraps(f)
        def wrapper(*args, **kwargs):
            try:
                return f(*args, **kwargs)
            except NotImplementedError:
                wrapper.solved = False
                if name in _checking:  # its check runs the learner's code only: unsolved_ok says so
                    raise
                _say_once(name, hint, fallback is not None)
                if fallback is None:
                    raise
                return fallback(*args, **kwargs)

        wrapper.solved = True
        return wrapper

    return decorate


@contextmanager
def unsolved_ok(name: str, hint: str | None = None):
    """A block that checks exercise ``name``: if it is not solved yet, say so and go on.

    Only ``NotImplementedError`` is caught (the hand-out's unsolved exercise); a failed check
    (an ``AssertionError`` from ``claim``: a wrong answer) is raised as usual. Inside the block,
    exercise ``name``'s function raises rather than calling its fallback.
    """
    _checking.append(name)
    try:
        yield
    except NotImplementedError:
        _say_once(name, hint or _hints.get(name), fallback=False)
    finally:
        _checking.remove(name)
