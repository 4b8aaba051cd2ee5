"""Helper package for the course *Internal Covariate Shift and Batch Normalization*.

One module per idea; a notebook imports from the module named for what it needs. Dependencies
point one way, from the top of this list to the bottom (a module imports only modules above it):

- ``helpers.checks``        claim(), check_close(), rel_error(), numerical_gradient(), as_numpy()
- ``helpers.environment``   setup(): seeds, plot theme, device; seeded() for helpers' own seeds
- ``helpers.data``          load_mnist(), small seeded synthetic sets, class_batches()
- ``helpers.history``       History: what one training run measured (numpy only)
- ``helpers.models``        make_mlp(): MLPs of any depth, activation and normalization
- ``helpers.measurements``  layer_inputs(), saturated_fraction(), histogram_shift(), ...
- ``helpers.training``      train(): small experiments, returning a recorded History
- ``helpers.plots``         the figures several notebooks share (each takes ``ax=None``)
- ``helpers.whitening``     PCA and ZCA whitening, per-feature standardization (standardize)
- ``helpers.normalization`` batch normalization in numpy and torch (the functions notebook 05
                            writes), batch renormalization, layer and group norm; ``layout``
- ``helpers.inference``     precise BN (population statistics) and folding BN into Linear
- ``helpers.dashboard``     a network's health in one call: inputs, saturation, gradients, updates
- ``helpers.distributed``   batch norm across devices: per-device vs synchronized statistics (gloo)
- ``helpers.workshop``      predict-then-run questions; headline numbers for a room's seed table
"""

__version__ = "0.1.0"
