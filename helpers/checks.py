"""Checks used in every notebook's check cells and in the tests.

- ``claim(condition, statement)``: the one way a notebook asserts what its text says.
- ``check_close(name, actual, expected, tol)``: one printed line per numerical comparison.
- ``rel_error(x, y)``: the CS231n relative error, max |x - y| / max(1e-8, |x| + |y|).
- ``numerical_gradient(f, x, dout)``: centred differences, for gradient checks.
- ``as_numpy(a)``: a numpy array from an array, a list or a torch tensor (detached, on the CPU);
  ``helpers.plots`` and ``helpers.whitening`` convert their inputs with it too.

Taught in notebook 00 (claim) and notebook 05 (gradient checks).
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

PASS, FAIL = "\u2714", "\u2718"


def claim(condition, statement: str) -> None:
    """Print ``statement`` with a check mark if ``condition`` holds, else raise AssertionError.

    Used in check cells: ``claim(bn_steps <= base_steps / 2, "BN reaches 90 % in half the steps")``.
    ``condition`` may be a Python bool or a numpy/torch boolean scalar.
    """
    if not isinstance(statement, str) or not statement.strip():
        raise ValueError("claim: statement must be a non-empty sentence saying what is checked")
    if not isinstance(condition, (bool, np.bool_)):
        size = condition.numel() if hasattr(condition, "numel") else np.size(condition)
        if size != 1:
            raise ValueError(
                f"claim: condition must be a single True/False, got {size} values; "
                "use all(...) or any(...) to say which you mean"
            )
        condition = bool(condition)
    if not condition:
        raise AssertionError(f"{FAIL} Claim does not hold: {statement}")
    print(f"{PASS} {statement}")


def rel_error(x, y) -> float:
    """Relative error max |x - y| / max(1e-8, |x| + |y|), elementwise then the maximum.

    x, y: arrays (or tensors) of the same shape. Returns a float (0 for identical inputs).
    """
    x, y = _as_float_array(x, "rel_error", "x"), _as_float_array(y, "rel_error", "y")
    if x.shape != y.shape:
        raise ValueError(f"rel_error: x has shape {x.shape} but y has shape {y.shape}")
    if x.size == 0:
        return 0.0
    return float(np.max(np.abs(x - y) / np.maximum(1e-8, np.abs(x) + np.abs(y))))


def check_close(name: str, actual, expected, tol: float = 1e-7) -> float:
    """Compare two arrays with ``rel_error``; print one line; raise AssertionError past ``tol``.

    Returns the relative error so a notebook can tabulate it.
    """
    if tol <= 0:
        raise ValueError(f"check_close: tol must be positive, got {tol}")
    err = rel_error(actual, expected)
    ok = err <= tol
    print(f"{PASS if ok else FAIL} {name}: relative error {err:.1e} (tolerance {tol:.0e})")
    if not ok:
        raise AssertionError(f"{name}: relative error {err:.2e} exceeds tolerance {tol:.0e}")
    return err


def numerical_gradient(f: Callable[[np.ndarray], np.ndarray], x: np.ndarray, dout=None,
                       h: float = 1e-5) -> np.ndarray:
    """Centred-difference gradient of sum(f(x) * dout) with respect to x.

    df/dx_i ≈ sum((f(x + h e_i) - f(x - h e_i)) * dout) / (2h)

    f: function of x (it is called with x modified in place and restored), returning an array.
    x: float array of any shape (use float64 for gradient checks).
    dout: upstream gradient with the shape of f(x); None means f returns a scalar.
    Returns an array shaped like x.
    """
    if not isinstance(x, np.ndarray) or not np.issubdtype(x.dtype, np.floating):
        raise ValueError("numerical_gradient: x must be a floating-point numpy array")
    if h <= 0:
        raise ValueError(f"numerical_gradient: h must be positive, got {h}")
    grad = np.zeros_like(x)
    it = np.nditer(x, flags=["multi_index"], op_flags=[["readwrite"]])
    for _ in it:
        i = it.multi_index
        old = x[i]
        x[i] = old + h
        plus = np.array(f(x), dtype=np.float64, copy=True)
        x[i] = old - h
        minus = np.array(f(x), dtype=np.float64, copy=True)
        x[i] = old
        diff = plus - minus if dout is None else (plus - minus) * dout
        grad[i] = np.sum(diff) / (2 * h)
    return grad


def as_numpy(a, dtype=np.float64) -> np.ndarray:
    """A numpy array of ``dtype`` from a numpy array, a list or a torch tensor.

    A tensor is detached from autograd's graph and copied to the CPU first (``tensor.numpy()``
    refuses both). a: any array-like; dtype: e.g. np.float64 (default) or float.
    Returns a numpy array (no copy when ``a`` already is one of that dtype).
    """
    if hasattr(a, "detach"):  # a torch tensor, possibly requiring grad or on a GPU
        a = a.detach().cpu().numpy()
    return np.asarray(a, dtype=dtype)


def _as_float_array(a, fname: str, name: str) -> np.ndarray:
    try:
        return as_numpy(a)
    except (TypeError, ValueError) as e:
        raise ValueError(f"{fname}: {name} must be numeric array-like, got {type(a).__name__}"
                         ) from e
