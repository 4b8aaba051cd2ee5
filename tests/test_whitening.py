"""Tests for helpers.whitening: PCA/ZCA whitening and per-feature standardization.

Independent references: torch.linalg.eigh / torch.cov, and an SVD of the centred data.
"""

from __future__ import annotations

import matplotlib.pyplot as plt
import numpy as np
import pytest
import torch

from helpers.checks import rel_error
from helpers.whitening import (
    covariance,
    fit_pca_whitening,
    fit_zca_whitening,
    plot_agreement,
    plot_convergence,
    standardize,
    whiten,
)

FITS = [fit_pca_whitening, fit_zca_whitening]


@pytest.fixture
def X():
    """Correlated, full-rank data with a non-zero mean and very different feature scales."""
    rng = np.random.default_rng(0)
    A = rng.normal(size=(5, 5)) * np.array([3.0, 1.0, 0.5, 2.0, 0.1])
    return rng.normal(size=(400, 5)) @ A + np.array([1.0, -2.0, 3.0, 0.0, 10.0])


def _torch_eig_descending(S):
    lam, U = torch.linalg.eigh(torch.from_numpy(S))
    return lam.numpy()[::-1], U.numpy()[:, ::-1]


def test_covariance_matches_torch(X):
    S = covariance(X)
    expected = torch.cov(torch.from_numpy(X).T, correction=0).numpy()
    assert S.shape == (5, 5) and S.dtype == np.float64
    assert rel_error(S, expected) < 1e-12
    np.testing.assert_array_equal(S, S.T)


@pytest.mark.parametrize("fit", FITS)
def test_whitened_data_has_zero_mean_and_identity_covariance(X, fit):
    mean, W = fit(X, eps=0)
    assert mean.shape == (5,) and W.shape == (5, 5)
    assert mean.dtype == W.dtype == np.float64
    Z = whiten(X, mean, W)
    np.testing.assert_allclose(Z.mean(axis=0), 0, atol=1e-12)
    np.testing.assert_allclose(covariance(Z), np.eye(5), atol=1e-10)


@pytest.mark.parametrize("fit", FITS)
def test_eps_shrinks_each_eigen_direction_by_lambda_over_lambda_plus_eps(X, fit):
    eps = 0.5
    lam = _torch_eig_descending(covariance(X))[0]
    mean, W = fit(X, eps=eps)
    cov_z = covariance(whiten(X, mean, W))
    # In the PCA basis cov(Z) is diag(λ/(λ+ε)); ZCA rotates it, so compare eigenvalues.
    got = np.sort(np.linalg.eigvalsh(cov_z))[::-1]
    np.testing.assert_allclose(got, lam / (lam + eps), rtol=1e-10)


def test_zca_matrix_is_symmetric_inverse_square_root_of_covariance(X):
    eps = 1e-3
    mean, W = fit_zca_whitening(X, eps=eps)
    np.testing.assert_array_equal(W, W.T)
    # Independent: Xc = P S Vᵀ gives Σ = V (S²/N) Vᵀ, so (Σ + εI)^(-1/2) = V diag(...) Vᵀ.
    Xc = X - X.mean(axis=0)
    _, s, Vt = np.linalg.svd(Xc, full_matrices=False)
    expected = Vt.T @ np.diag(1 / np.sqrt(s**2 / len(X) + eps)) @ Vt
    assert rel_error(W, expected) < 1e-9
    np.testing.assert_allclose(W @ (covariance(X) + eps * np.eye(5)) @ W, np.eye(5), atol=1e-10)


def test_pca_rows_are_scaled_eigenvectors_largest_variance_first(X):
    eps = 1e-3
    lam, U = _torch_eig_descending(covariance(X))
    _, W = fit_pca_whitening(X, eps=eps)
    rows_unscaled = W * np.sqrt(lam + eps)[:, None]
    # Same axes as torch, up to the sign of each one.
    np.testing.assert_allclose(np.abs(rows_unscaled), np.abs(U.T), atol=1e-10)
    # Component 0 is the largest-variance direction: its projection has variance λ_max.
    proj_var = np.var((X - X.mean(axis=0)) @ rows_unscaled.T, axis=0)
    np.testing.assert_allclose(proj_var, lam, rtol=1e-10)
    assert np.all(np.diff(proj_var) <= 0)


def test_sign_convention_is_deterministic(X):
    _, W = fit_pca_whitening(X)
    largest = W[np.arange(5), np.argmax(np.abs(W), axis=1)]
    assert np.all(largest > 0), "largest-|.| entry of each principal axis should be positive"
    # Reordering the samples changes rounding, never the signs.
    _, W_rev = fit_pca_whitening(X[::-1])
    np.testing.assert_allclose(W_rev, W, rtol=1e-9)


def test_pca_and_zca_differ_by_the_rotation_u(X):
    lam, U = _torch_eig_descending(covariance(X))
    _, W_pca = fit_pca_whitening(X)
    _, W_zca = fit_zca_whitening(X)
    R = W_zca @ np.linalg.inv(W_pca)
    np.testing.assert_allclose(R @ R.T, np.eye(5), atol=1e-10)
    np.testing.assert_allclose(np.abs(R), np.abs(U), atol=1e-9)


def test_zca_output_is_closer_to_the_input_than_pca(X):
    Xc = X - X.mean(axis=0)
    dist = {}
    for fit in FITS:
        Z = whiten(X, *fit(X))
        dist[fit.__name__] = np.mean(np.sum((Z - Xc) ** 2, axis=1))
    assert dist["fit_zca_whitening"] < dist["fit_pca_whitening"]


@pytest.mark.parametrize("fit", FITS)
def test_rank_deficient_data_stays_finite_with_eps(X, fit):
    X_def = np.column_stack([X, np.full(len(X), 7.0), X[:, 0]])  # constant + duplicated column
    mean, W = fit(X_def, eps=1e-5)
    Z = whiten(X_def, mean, W)
    assert np.all(np.isfinite(W)) and np.all(np.isfinite(Z))
    eig = np.sort(np.linalg.eigvalsh(covariance(Z)))
    lam = np.clip(np.sort(np.linalg.eigvalsh(covariance(X_def))), 0, None)
    np.testing.assert_allclose(eig[:2], 0, atol=1e-9)  # the two null directions stay ~0
    np.testing.assert_allclose(eig, lam / (lam + 1e-5), atol=1e-9)  # the rest ~ whitened


@pytest.mark.parametrize("fit", FITS)
def test_singular_covariance_with_eps_zero_is_a_clear_error(X, fit):
    X_def = np.column_stack([X, np.full(len(X), 7.0)])
    with pytest.raises(ValueError, match=rf"{fit.__name__}: .*singular.*use eps > 0"):
        fit(X_def, eps=0)


def test_whiten_single_sample_is_w_times_centred_x(X):
    mean, W = fit_zca_whitening(X)
    x = X[3]
    z = whiten(x[None, :], mean, W)
    assert z.shape == (1, 5)
    np.testing.assert_allclose(z[0], W @ (x - mean), rtol=1e-12)
    np.testing.assert_allclose(whiten(X, mean, W)[3], W @ (x - mean), rtol=1e-12)


def test_accepts_lists_float32_and_torch_tensors(X):
    mean, W = fit_pca_whitening(X)
    _, W32 = fit_pca_whitening(torch.from_numpy(X).float())
    assert W32.dtype == np.float64
    assert rel_error(W32, W) < 1e-4
    Z_list = whiten(X.tolist(), mean.tolist(), W.tolist())
    np.testing.assert_allclose(Z_list, whiten(X, mean, W), rtol=1e-12)


def test_standardize_mean_zero_variance_v_over_v_plus_eps(X):
    eps = 0.01
    x_hat, mu, var = standardize(X, eps=eps)
    assert x_hat.shape == X.shape and mu.shape == var.shape == (5,)
    np.testing.assert_allclose(mu, X.mean(axis=0), rtol=1e-12)
    np.testing.assert_allclose(var, X.var(axis=0), rtol=1e-12)  # biased variance
    np.testing.assert_allclose(x_hat.mean(axis=0), 0, atol=1e-12)
    np.testing.assert_allclose(x_hat.var(axis=0), var / (var + eps), rtol=1e-12)
    # Standardization rescales features: correlations are unchanged (whitening would remove them).
    np.testing.assert_allclose(np.corrcoef(x_hat.T), np.corrcoef(X.T), atol=1e-12)


def test_standardize_matches_torch_batch_norm_without_affine(X):
    """Notebook 04's standardize is batch norm's training-mode normalization, γ = 1, β = 0."""
    x_hat, _, _ = standardize(X, eps=1e-3)
    reference = torch.nn.functional.batch_norm(torch.from_numpy(X), None, None, training=True,
                                               eps=1e-3)
    np.testing.assert_allclose(x_hat, reference.numpy(), rtol=1e-10, atol=1e-12)


def test_standardize_constant_feature_needs_eps(X):
    X_const = np.column_stack([X, np.full(len(X), 3.0)])
    x_hat, _, var = standardize(X_const)
    assert var[-1] == 0 and np.all(x_hat[:, -1] == 0)
    with pytest.raises(ValueError, match=r"standardize: features \[5\] are constant"):
        standardize(X_const, eps=0)


DATA_FUNCS = [covariance, fit_pca_whitening, fit_zca_whitening, standardize]
NAMES = [f.__name__ for f in DATA_FUNCS]


@pytest.mark.parametrize("func", DATA_FUNCS, ids=NAMES)
@pytest.mark.parametrize(
    "bad, message",
    [
        (np.ones(5), r"X must be 2-D .*got shape \(5,\)"),
        (np.ones((2, 3, 4)), r"X must be 2-D .*got shape \(2, 3, 4\)"),
        (np.ones((1, 4)), r"X needs at least 2 samples .*got shape \(1, 4\)"),
        (
            np.array([[1.0, np.nan], [2.0, 3.0]]),
            r"X contains 1 non-finite value\(s\) \(NaN or inf\)",
        ),
        (np.array([[1.0, np.inf], [2.0, -np.inf]]), r"X contains 2 non-finite"),
        ([["a", "b"], ["c", "d"]], r"X must be a numeric array"),
    ],
)
def test_bad_data_is_a_clear_error(func, bad, message):
    if func is standardize:  # its argument is x, as notebook 04 names it
        message = message.replace("X ", "x ")
    with pytest.raises(ValueError, match=rf"^{func.__name__}: {message}"):
        func(bad)


@pytest.mark.parametrize("func", DATA_FUNCS[1:], ids=NAMES[1:])
@pytest.mark.parametrize("eps", [-1e-5, float("nan"), float("inf"), "small"])
def test_bad_eps_is_a_clear_error(X, func, eps):
    with pytest.raises(ValueError, match=rf"^{func.__name__}: eps must be a (finite )?number >= 0"):
        func(X, eps=eps)


def test_whiten_checks_shapes_against_x(X):
    mean, W = fit_zca_whitening(X)
    with pytest.raises(
        ValueError,
        match=r"whiten: W has shape \(3, 3\), expected \(5, 5\) "
        r"to match X's 5 features",
    ):
        whiten(X, mean, W[:3, :3])
    with pytest.raises(ValueError, match=r"whiten: mean has shape \(4,\), expected \(5,\)"):
        whiten(X, mean[:4], W)
    with pytest.raises(ValueError, match=r"whiten: X must be 2-D .*got shape \(5,\)"):
        whiten(X[0], mean, W)
    W_bad = W.copy()
    W_bad[1, 2] = np.nan
    with pytest.raises(ValueError, match=r"whiten: W contains 1 non-finite"):
        whiten(X, mean, W_bad)


def test_figures_return_their_axes_with_labels():
    for call in (lambda ax: plot_convergence({"a": (np.logspace(0, -3, 10), None)}, ax=ax),
                 lambda ax: plot_agreement([64, 128], {"a": [0.5, 0.9]}, ax=ax)):
        fig, ax = plt.subplots()
        assert call(ax) is ax
        assert ax.get_xlabel() and ax.get_ylabel() and ax.get_title()
        plt.close(fig)


def test_plot_convergence_labels_and_marks_a_diverged_run():
    fig, ax = plt.subplots()
    plot_convergence({"ok": (np.logspace(0, -8, 20), None), "bad": (np.logspace(0, 6, 30), 29)},
                     ax=ax)
    labels = [t.get_text() for t in ax.get_legend().get_texts()]
    assert "bad (diverged at step 29)" in labels and "ok" in labels
    markers = [ln for ln in ax.get_lines() if ln.get_marker() == "x"]
    assert len(markers) == 1 and markers[0].get_xdata()[0] == 29
    assert all(np.all(np.isfinite(ln.get_ydata())) for ln in ax.get_lines())
    plt.close(fig)
