"""Kept so that old imports work: the module is now the public ``helpers.normalization.layout``."""

from .layout import per_feature, reduce_axes, values_per_feature  # noqa: F401
