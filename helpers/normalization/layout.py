"""Where batch norm takes its statistics: the axes, the shapes, the count. numpy and torch alike.

A batch x has its features (channels) on axis 1: (N, D), (N, C, L) or (N, C, H, W). Each
feature's statistics are taken over every other axis, M values in all (N, N·L or N·H·W), and a
per-feature vector of shape (C,) broadcasts against x once shaped (1, C), (1, C, 1) or
(1, C, 1, 1). The same three functions work on numpy arrays and torch tensors; the numpy and
torch batch norms, ``helpers.inference`` and ``helpers.dashboard`` use them.

    >>> x = np.zeros((8, 3, 5, 5))
    >>> reduce_axes(x), per_feature(np.ones(3), x).shape, values_per_feature(x)
    ((0, 2, 3), (1, 3, 1, 1), 200)
"""

from __future__ import annotations

import math

__all__ = ["reduce_axes", "per_feature", "values_per_feature"]


def reduce_axes(x) -> tuple[int, ...]:
    """Every axis but the feature axis 1: (0,) for (N, D), (0, 2) for (N, C, L), (0, 2, 3)."""
    return (0, *range(2, x.ndim))


def per_feature(v, x):
    """A (C,) vector shaped to broadcast along x's axis 1: (1, C), (1, C, 1) or (1, C, 1, 1)."""
    return v.reshape((1, -1) + (1,) * (x.ndim - 2))


def values_per_feature(x) -> int:
    """M, the number of values behind each feature's statistics: N, N·L or N·H·W."""
    return int(x.shape[0]) * math.prod(int(s) for s in x.shape[2:])
