import numpy as np
import pytest
import torch

from helpers.checks import as_numpy, check_close, claim, numerical_gradient, rel_error


def test_claim_prints_statement_when_true(capsys):
    claim(True, "two plus two is four")
    assert "✔ two plus two is four" in capsys.readouterr().out


def test_claim_raises_with_statement_when_false():
    with pytest.raises(AssertionError, match="the moon is cheese"):
        claim(1 > 2, "the moon is cheese")


def test_claim_accepts_numpy_and_torch_booleans(capsys):
    claim(np.float64(1.0) > 0, "numpy bool")
    claim(torch.tensor(3) > 2, "torch bool")
    assert capsys.readouterr().out.count("✔") == 2


def test_claim_rejects_arrays_and_empty_statements():
    with pytest.raises(ValueError, match="single True/False"):
        claim(np.array([True, False]), "ambiguous")
    with pytest.raises(ValueError, match="statement"):
        claim(True, "  ")


def test_rel_error_basics():
    assert rel_error([1.0, 2.0], [1.0, 2.0]) == 0.0
    assert rel_error(np.zeros(3), np.zeros(3)) == 0.0
    assert rel_error([1.0], [1.1]) == pytest.approx(0.1 / 2.1)
    assert rel_error(torch.ones(2), np.ones(2)) == 0.0
    with pytest.raises(ValueError, match="shape"):
        rel_error(np.ones(2), np.ones(3))


def test_check_close_prints_one_line_and_raises_past_tolerance(capsys):
    err = check_close("same", np.ones(3), np.ones(3))
    assert err == 0.0 and capsys.readouterr().out.count("\n") == 1
    with pytest.raises(AssertionError, match="exceeds tolerance"):
        check_close("different", np.ones(3), 2 * np.ones(3), tol=1e-3)
    with pytest.raises(ValueError, match="tol"):
        check_close("bad", np.ones(1), np.ones(1), tol=0)


def test_numerical_gradient_matches_analytic():
    rng = np.random.default_rng(0)
    x = rng.standard_normal((3, 4))
    dout = rng.standard_normal((3, 4))
    num = numerical_gradient(lambda z: np.sin(z) * z, x, dout)
    assert rel_error(num, (np.cos(x) * x + np.sin(x)) * dout) < 1e-8
    scalar = numerical_gradient(lambda z: np.sum(z**2), x)
    assert rel_error(scalar, 2 * x) < 1e-8


def test_numerical_gradient_rejects_bad_input():
    with pytest.raises(ValueError, match="floating-point"):
        numerical_gradient(lambda z: z, np.arange(3))
    with pytest.raises(ValueError, match="h must be positive"):
        numerical_gradient(lambda z: z, np.ones(3), h=0)


def test_as_numpy_converts_tensors_that_require_grad_and_lists():
    t = torch.arange(3.0, requires_grad=True)
    for a in (t, t.detach().numpy(), [0.0, 1.0, 2.0]):
        out = as_numpy(a)
        assert isinstance(out, np.ndarray) and out.dtype == np.float64
        np.testing.assert_array_equal(out, [0.0, 1.0, 2.0])
    assert as_numpy(t, dtype=np.float32).dtype == np.float32
    x = np.ones(2)
    assert as_numpy(x) is x  # no copy when nothing needs converting


def test_plots_and_whitening_use_the_one_conversion():
    import helpers.plots as plots
    import helpers.whitening as whitening

    assert plots.as_numpy is as_numpy and whitening.as_numpy is as_numpy
