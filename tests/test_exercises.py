"""helpers.exercises: an unsolved exercise says so and the notebook goes on; a wrong one fails."""

import pytest

from helpers.exercises import exercise, not_solved_message, unsolved_ok


def reference(x):
    return 2 * x


def test_a_solved_exercise_runs_the_learners_code():
    @exercise("1.1", fallback=reference)
    def double(x):
        return x + x

    assert double(3) == 6 and double.solved and double.__name__ == "double"


def test_an_unsolved_exercise_says_so_once_and_uses_the_fallback(capsys):
    @exercise("1.2", fallback=reference, hint="Multiply.")
    def double(x):
        raise NotImplementedError

    assert [double(1), double(2)] == [2, 4] and not double.solved
    out = capsys.readouterr().out
    assert out.count("Exercise 1.2 is not solved yet") == 1 and "Hint: Multiply." in out
    assert "uses the course's own version" in out


def test_inside_its_check_an_unsolved_exercise_never_falls_back(capsys):
    @exercise("1.7", fallback=reference, hint="Add it to itself.")
    def double(x):
        raise NotImplementedError

    ran = []
    with unsolved_ok("1.7"):
        ran.append(double(1))  # raises: the check must not pass on the course's version
        ran.append("after")
    out = capsys.readouterr().out
    assert ran == [] and "Exercise 1.7 is not solved yet" in out
    assert "Hint: Add it to itself." in out  # the exercise's hint, said by its check
    with unsolved_ok("1.8"):  # another exercise's check: 1.7 still falls back
        assert double(2) == 4


def test_without_a_fallback_the_error_is_raised_after_the_message(capsys):
    @exercise("1.3")
    def double(x):
        raise NotImplementedError

    with pytest.raises(NotImplementedError):
        double(1)
    assert "Exercise 1.3 is not solved yet" in capsys.readouterr().out


def test_unsolved_ok_passes_only_the_unsolved_case(capsys):
    with unsolved_ok("1.4", hint="Look up."):
        raise NotImplementedError
    assert "Exercise 1.4 is not solved yet" in capsys.readouterr().out
    with pytest.raises(AssertionError), unsolved_ok("1.4"):
        raise AssertionError("✘ the answer is wrong")


def test_bad_arguments_are_clear_errors():
    with pytest.raises(ValueError, match="exercise's number"):
        exercise(5)
    with pytest.raises(ValueError, match="fallback must be a function"):
        exercise("1.5", fallback=3)
    assert "Hint" not in not_solved_message("1.6")
