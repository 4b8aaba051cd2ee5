"""Whitening and per-feature standardization of a data matrix, in numpy (float64).

Whitening is the expensive transform that the batch-normalization paper set out to approximate:
it removes the mean of the data *and* all correlations between features, so the whitened data
Z has covariance I. Batch normalization keeps only the cheap part, a per-feature standardization.

- ``covariance(X)``: the biased (1/N) covariance Σ of X.
- ``fit_pca_whitening(X, eps)`` / ``fit_zca_whitening(X, eps)``: the mean μ and the whitening
  matrix W, from the eigendecomposition Σ = U Λ Uᵀ (eigenvalues in descending order):
  W_pca = (Λ + εI)^(-1/2) Uᵀ rotates onto the principal axes, then rescales;
  W_zca = U (Λ + εI)^(-1/2) Uᵀ rotates back, so Z stays as close to X as any whitening allows.
- ``whiten(X, mean, W)``: Z = (X − μ) Wᵀ, i.e. z = W (x − μ) for each sample.
- ``standardize(x, eps) -> (x_hat, mu, var)``: x̂ = (x − μ) / √(σ² + ε) per feature, what batch
  norm does per batch (notebook 04 writes it under the same name, arguments and returns).
- ``plot_convergence(runs)``, ``plot_agreement(batch_sizes, agreement)``: notebook 03's two
  figures of this idea (each takes ``ax=None`` and returns the axes).

Shapes: N = samples (batch), D = features. Inputs are numpy arrays or anything ``np.asarray``
accepts (lists, CPU torch tensors); all computation and all results are float64.

Taught in notebook 03 (whitening) and notebook 04 (standardization).
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np

from helpers.checks import as_numpy

__all__ = ["covariance", "fit_pca_whitening", "fit_zca_whitening", "whiten", "standardize",
           "plot_convergence", "plot_agreement"]


def covariance(X) -> np.ndarray:
    """Biased covariance matrix of the columns of X.

    Σ = (1/N) Σ_n (x_n − μ)(x_n − μ)ᵀ, with μ the mean over the N samples.

    X: data, shape (N, D), N ≥ 2.
    Returns Σ, shape (D, D), symmetric, float64. Taught in notebook 03.
    """
    return _cov(_as_data("covariance", X))


def fit_pca_whitening(X, eps: float = 1e-5) -> tuple[np.ndarray, np.ndarray]:
    """Fit PCA whitening: project onto the principal axes, then rescale each to unit variance.

    Σ = U Λ Uᵀ (eigenvalues descending),  W_pca = (Λ + εI)^(-1/2) Uᵀ.
    Row i of W_pca is the i-th principal axis (largest variance first) scaled by 1/√(λ_i + ε);
    each axis' sign is fixed so that its largest-magnitude entry is positive.

    X: data, shape (N, D), N ≥ 2.  eps: ε ≥ 0, keeps rank-deficient data finite.
    Returns (mean, W): mean μ shape (D,), W shape (D, D); use ``whiten(X, mean, W)``.
    Taught in notebook 03.
    """
    mean, lam, U = _fit_eig("fit_pca_whitening", X, eps)
    W = U.T / np.sqrt(lam + eps)[:, None]
    return mean, W


def fit_zca_whitening(X, eps: float = 1e-5) -> tuple[np.ndarray, np.ndarray]:
    """Fit ZCA ("zero-phase") whitening: PCA whitening rotated back to the original axes.

    Σ = U Λ Uᵀ,  W_zca = U (Λ + εI)^(-1/2) Uᵀ = (Σ + εI)^(-1/2), a symmetric matrix.
    Among all W with cov(Z) = I, this one keeps Z closest to X − μ in mean squared distance.

    X: data, shape (N, D), N ≥ 2.  eps: ε ≥ 0, keeps rank-deficient data finite.
    Returns (mean, W): mean μ shape (D,), W shape (D, D), symmetric; use ``whiten(X, mean, W)``.
    Taught in notebook 03.
    """
    mean, lam, U = _fit_eig("fit_zca_whitening", X, eps)
    W = (U / np.sqrt(lam + eps)) @ U.T
    return mean, (W + W.T) / 2  # symmetric exactly, not just up to rounding


def whiten(X, mean, W) -> np.ndarray:
    """Apply a fitted whitening transform to every sample (row) of X.

    Z = (X − μ) Wᵀ, i.e. z = W (x − μ) for each sample x.

    X: data, shape (N, D), N ≥ 1 (one sample x as ``x[None, :]``).
    mean: μ, shape (D,).  W: whitening matrix, shape (D, D), from ``fit_*_whitening``.
    Returns Z, shape (N, D), float64. Taught in notebook 03.
    """
    X = _as_data("whiten", X, min_samples=1)
    D = X.shape[1]
    mean = _as_finite("whiten", "mean", mean)
    W = _as_finite("whiten", "W", W)
    if mean.shape != (D,):
        raise ValueError(
            f"whiten: mean has shape {mean.shape}, expected ({D},) to match X's {D} features"
        )
    if W.shape != (D, D):
        raise ValueError(
            f"whiten: W has shape {W.shape}, expected ({D}, {D}) to match X's {D} features"
        )
    return (X - mean) @ W.T


def standardize(x, eps: float = 1e-5) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Standardize each feature (column) of x to mean 0 and variance about 1.

    mu = (1/N) Σ_n x_n,  var = (1/N) Σ_n (x_n − mu)²  (biased),  x_hat = (x − mu) / √(var + ε).
    Unlike whitening this leaves correlations between features untouched.

    x: data, shape (N, D), N ≥ 2.  eps: ε ≥ 0 (ε = 0 fails on a constant feature).
    Returns (x_hat, mu, var): x_hat shape (N, D), mu and var shape (D,).
    Taught in notebook 04 (the learner writes it there under this name).
    """
    x = _as_data("standardize", x, name="x")
    eps = _check_eps("standardize", eps)
    mu = x.mean(axis=0)
    var = x.var(axis=0)
    if eps == 0 and np.any(var == 0):
        cols = np.flatnonzero(var == 0).tolist()
        raise ValueError(f"standardize: features {cols[:10]} are constant; use eps > 0")
    x_hat = (x - mu) / np.sqrt(var + eps)
    return x_hat, mu, var


# --- figures of this idea (drawn in notebook 03; matplotlib is imported only when drawing) ---


def _new_axes():
    import matplotlib.pyplot as plt

    return plt.subplots()[1]


def plot_convergence(runs: Mapping, ax=None, title: str = "Gradient descent"):
    """Figure: excess loss L(w_t) − L(w*) per step, log scale; a diverged run ends in an ✕.

    runs: label -> (gaps, diverged_at): gaps the finite excess losses recorded, shape (T,),
    diverged_at the step at which the run was stopped as diverged, or None. Returns the axes.
    Notebook 03: gradient descent on raw vs whitened inputs.
    """
    ax = ax if ax is not None else _new_axes()
    for label, (gaps, diverged_at) in runs.items():
        gaps = np.maximum(np.asarray(gaps, dtype=float), 1e-300)
        name = f"{label} (diverged at step {diverged_at})" if diverged_at is not None else label
        line, = ax.plot(np.arange(len(gaps)), gaps, label=name)
        if diverged_at is not None and len(gaps):
            ax.plot(len(gaps) - 1, gaps[-1], "x", color=line.get_color(), ms=10, mew=2)
    ax.set_yscale("log")
    ax.set(xlabel="gradient-descent step", ylabel="excess loss L(w) − L(w*)", title=title)
    ax.legend(fontsize="small")
    return ax


def plot_agreement(batch_sizes, agreement: Mapping, ax=None,
                   title: str = "Agreement between two mini-batches"):
    """Figure: mean |per-unit correlation| of two batches' normalized outputs vs batch size.

    batch_sizes: shape (K,).  agreement: label -> correlations of shape (K,). Returns the axes.
    Notebook 03: whitening estimated from a mini-batch.
    """
    ax = ax if ax is not None else _new_axes()
    for label, values in agreement.items():
        ax.plot(batch_sizes, values, "o-", label=label)
    ax.set_xscale("log", base=2)
    ax.set_xticks(batch_sizes, [str(int(m)) for m in batch_sizes])
    ax.axhline(0, color="grey", lw=0.8)
    ax.set(xlabel="mini-batch size m", ylabel="mean |correlation| per unit", ylim=(-0.1, 1.05),
           title=title)
    ax.legend(fontsize="small")
    return ax


# --- private helpers ------------------------------------------------------------------------


def _cov(X: np.ndarray) -> np.ndarray:
    Xc = X - X.mean(axis=0)
    S = Xc.T @ Xc / X.shape[0]
    return (S + S.T) / 2


def _fit_eig(fname: str, X, eps) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Mean, eigenvalues (descending, clipped at 0) and sign-fixed eigenvectors of cov(X)."""
    X = _as_data(fname, X)
    eps = _check_eps(fname, eps)
    lam, U = np.linalg.eigh(_cov(X))
    lam, U = np.clip(lam[::-1], 0.0, None), U[:, ::-1]  # descending: principal axis first
    rows = np.argmax(np.abs(U), axis=0)
    U = U * np.sign(U[rows, np.arange(U.shape[1])])  # largest-|.| entry of each column > 0
    tiny = X.shape[1] * np.finfo(np.float64).eps * max(lam[0], np.finfo(np.float64).tiny)
    if eps == 0 and lam[-1] <= tiny:
        raise ValueError(
            f"{fname}: the covariance of X is singular (smallest eigenvalue {lam[-1]:.1e}, "
            "e.g. a constant or duplicated feature), so eps=0 divides by zero; use eps > 0"
        )
    return X.mean(axis=0), lam, U


def _as_finite(fname: str, name: str, a) -> np.ndarray:
    try:
        a = as_numpy(a)
    except (TypeError, ValueError) as e:
        raise ValueError(f"{fname}: {name} must be a numeric array, got {type(a).__name__}") from e
    if not np.all(np.isfinite(a)):
        raise ValueError(
            f"{fname}: {name} contains {np.sum(~np.isfinite(a))} non-finite value(s) (NaN or inf)"
        )
    return a


def _as_data(fname: str, X, min_samples: int = 2, name: str = "X") -> np.ndarray:
    X = _as_finite(fname, name, X)
    if X.ndim != 2:
        raise ValueError(f"{fname}: {name} must be 2-D with shape (N, D) (samples, features), "
                         f"got shape {X.shape}")
    if X.shape[0] < min_samples:
        raise ValueError(
            f"{fname}: {name} needs at least {min_samples} samples (rows), got shape {X.shape}"
        )
    return X


def _check_eps(fname: str, eps) -> float:
    try:
        eps = float(eps)
    except (TypeError, ValueError) as e:
        raise ValueError(f"{fname}: eps must be a number >= 0, got {eps!r}") from e
    if not np.isfinite(eps) or eps < 0:
        raise ValueError(f"{fname}: eps must be a finite number >= 0, got {eps}")
    return eps
