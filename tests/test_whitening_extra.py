"""Tests for the additions to helpers.whitening: time_whitening and its torch twins."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from helpers.whitening import (
    _standardize_torch,
    _zca_torch,
    fit_zca_whitening,
    standardize,
    time_whitening,
    whiten,
)


@pytest.fixture
def X():
    rng = np.random.default_rng(1)
    return rng.normal(size=(300, 6)) @ rng.normal(size=(6, 6)) + 2.0


def test_torch_twins_compute_the_same_as_the_numpy_reference(X):
    Xt = torch.from_numpy(X)
    np.testing.assert_allclose(_zca_torch(Xt, 1e-3).numpy(), whiten(X, *fit_zca_whitening(X, 1e-3)),
                               rtol=1e-8, atol=1e-10)
    np.testing.assert_allclose(_standardize_torch(Xt, 1e-3).numpy(), standardize(X, 1e-3)[0],
                               rtol=1e-10, atol=1e-12)


def test_time_whitening_returns_positive_times_per_dimension():
    times = time_whitening([4, 8, 16], n=64, repeats=2)
    assert set(times) == {"ZCA whitening", "standardization"}
    for seconds in times.values():
        assert seconds.shape == (3,)
        assert np.all(np.isfinite(seconds)) and np.all(seconds > 0)


def test_time_whitening_restores_the_thread_count():
    before = torch.get_num_threads()
    time_whitening([4], n=16, repeats=1)
    assert torch.get_num_threads() == before


@pytest.mark.parametrize("kwargs", [{"dims": []}, {"dims": [0, 4]}, {"dims": [4], "n": 1},
                                    {"dims": [4], "repeats": 0}])
def test_time_whitening_bad_arguments_are_clear_errors(kwargs):
    with pytest.raises(ValueError, match=r"^time_whitening: need dims"):
        time_whitening(**kwargs)


def test_time_whitening_checks_eps():
    with pytest.raises(ValueError, match=r"^time_whitening: eps must be"):
        time_whitening([4], n=16, eps=-1.0)
