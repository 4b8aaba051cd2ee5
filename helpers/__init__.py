"""Helper package for the course *Internal Covariate Shift and Batch Normalization*.

One module per idea; a notebook imports from the module named for what it needs:

- ``helpers.environment``   setup(): seeds, plot theme, device
- ``helpers.data``          load_mnist() and small seeded synthetic data sets
- ``helpers.models``        make_mlp(): MLPs of any depth, activation and normalization
- ``helpers.training``      train(): small experiments with a recorded History
- ``helpers.plots``         figure helpers (each takes ``ax=None`` and returns the axes)
- ``helpers.checks``        claim(), check_close(), rel_error(), numerical_gradient()
- ``helpers.whitening``     PCA and ZCA whitening, per-feature standardization (notebooks 03-04)
- ``helpers.normalization`` batch normalization in numpy and torch (notebooks 05-06)
"""

__version__ = "0.1.0"
