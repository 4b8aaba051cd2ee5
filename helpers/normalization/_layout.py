"""Where the statistics are taken: shared by the numpy and the torch versions.

A batch x has its features (channels) on axis 1: (N, D), (N, C, L) or (N, C, H, W). Each
feature's statistics are taken over every other axis, M values in all (N, N·L or N·H·W), and a
per-feature vector of shape (C,) broadcasts against x once shaped (1, C), (1, C, 1) or
(1, C, 1, 1). The same three functions work on numpy arrays and torch tensors.
"""

from __future__ import annotations

import math


def reduce_axes(x) -> tuple[int, ...]:
    """Every axis but the feature axis 1: (0,) for (N, D), (0, 2) for (N, C, L), (0, 2, 3)."""
    return (0, *range(2, x.ndim))


def per_feature(v, x):
    """A (C,) vector shaped to broadcast along x's axis 1: (1, C), (1, C, 1) or (1, C, 1, 1)."""
    return v.reshape((1, -1) + (1,) * (x.ndim - 2))


def values_per_feature(x) -> int:
    """M, the number of values behind each feature's statistics: N, N·L or N·H·W."""
    return int(x.shape[0]) * math.prod(int(s) for s in x.shape[2:])
