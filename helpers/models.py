"""The course's networks: MLPs of any depth and width, and a small convolutional network.

    from helpers.models import make_mlp, make_cnn
    net = make_mlp([784, 100, 100, 100, 10], activation="sigmoid", norm="batch", init_std=0.1)
    cnn = make_cnn(channels=(8, 16), norm="batch")     # takes the same (N, 784) rows

Each hidden block is Linear -> [norm] -> activation -> [dropout]; the output layer is a plain
Linear with a bias (the loss applies the softmax). Whether the hidden Linear layers have a bias
is the argument ``hidden_bias``. By default (``hidden_bias=None``) they have one exactly when
``norm`` is None: a normalization's shift β makes a bias before it redundant (notebook 05).
Pass ``hidden_bias=True`` to keep the biases under any ``norm``, e.g. for a layer that is not a
normalization (notebook 11's noise), or ``False`` to drop them without one.

Taught in notebook 00; the norm and init options are the subject of the notebooks after it.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

import torch
from torch import nn

from helpers.environment import seeded

ACTIVATIONS: dict[str, type[nn.Module]] = {"sigmoid": nn.Sigmoid, "tanh": nn.Tanh, "relu": nn.ReLU}
NORMS_2D: dict[str, Callable[[int], nn.Module]] = {"batch": nn.BatchNorm2d}
NORMS: dict[str, Callable[[int], nn.Module]] = {
    "batch": nn.BatchNorm1d,
    "standardize": lambda d: nn.BatchNorm1d(d, affine=False),  # no learnable γ, β (notebook 04)
}


def make_mlp(sizes: Sequence[int], activation: str = "relu",
             norm: str | Callable[[int], nn.Module] | None = None, dropout: float = 0.0,
             init_std: float | None = None, seed: int | None = None, *,
             hidden_bias: bool | None = None) -> nn.Sequential:
    """Build an MLP: sizes[0] inputs, hidden widths sizes[1:-1], sizes[-1] outputs.

    sizes: at least two positive ints, e.g. [784, 100, 100, 10] (two hidden layers of 100).
    activation: "sigmoid", "tanh" or "relu", used after every hidden layer.
    norm: None, "batch" (nn.BatchNorm1d), "standardize" (BatchNorm1d without γ/β) or any
        callable num_features -> nn.Module (e.g. the course's own BatchNorm1d); placed between
        each hidden Linear layer and its activation.
    dropout: probability in [0, 1) of a Dropout after each hidden activation (0 = none).
    init_std: None keeps PyTorch's default init; a float draws every weight from N(0, init_std²)
        and sets biases to zero.
    seed: if given, the weights are drawn from a generator of their own seeded with it (the
        same network for the same seed; the global random state is left as it was). None draws
        from torch's global generator, which ``setup(SEED)`` seeded.
    hidden_bias: whether each hidden Linear layer has a bias. None (the default): a bias exactly
        when ``norm`` is None (a normalization's β makes it redundant, notebook 05); True or
        False: with or without, whatever ``norm`` is. The output layer always has a bias.
    Returns nn.Sequential with named layers linear1, norm1, act1, drop1, ..., out.

    >>> make_mlp([784, 100, 10], norm="batch").linear1.bias is None          # the default
    True
    >>> noisy = make_mlp([784, 100, 10], norm=lambda d: nn.Dropout(0.1), hidden_bias=True)
    """
    sizes = _check_sizes(sizes)
    make_act, make_norm = _check_options(activation, norm, dropout, init_std)
    bias = _check_hidden_bias(hidden_bias, make_norm)
    if seed is not None:
        with seeded(seed):
            return make_mlp(sizes, activation, norm, dropout, init_std, seed=None,
                            hidden_bias=bias)
    layers: dict[str, nn.Module] = {}
    for i, (fan_in, fan_out) in enumerate(zip(sizes[:-2], sizes[1:-1]), start=1):
        layers[f"linear{i}"] = nn.Linear(fan_in, fan_out, bias=bias)
        if make_norm is not None:
            layers[f"norm{i}"] = make_norm(fan_out)
        layers[f"act{i}"] = make_act()
        if dropout > 0:
            layers[f"drop{i}"] = nn.Dropout(dropout)
    layers["out"] = nn.Linear(sizes[-2], sizes[-1])
    net = nn.Sequential()
    for name, layer in layers.items():
        net.add_module(name, layer)
    if init_std is not None:
        init_normal_(net, init_std)
    return net


def make_cnn(channels: Sequence[int] = (8, 16), activation: str = "relu",
             norm: str | Callable[[int], nn.Module] | None = None, classes: int = 10,
             seed: int | None = None, *, hidden_bias: bool | None = None) -> nn.Sequential:
    """A small convolutional network for 28×28 digits, fed the same (N, 784) rows as the MLPs.

    Each block is Conv2d(3×3, padding 1) -> [norm] -> activation -> MaxPool2d(2), one block per
    entry of ``channels``; then Flatten and one Linear layer to ``classes`` outputs.
    channels: output channels of each block, e.g. (8, 16): 28×28 -> 14×14 -> 7×7.
    activation: "sigmoid", "tanh" or "relu".
    norm: None, "batch" (nn.BatchNorm2d) or any callable num_channels -> nn.Module (e.g.
        ``lambda c: nn.GroupNorm(4, c)``).
    seed: as in ``make_mlp``: its own generator, the global random state left alone.
    hidden_bias: as in ``make_mlp``: None (the default) gives each convolution a bias exactly
        when ``norm`` is None; True or False decides for every convolution.
    Returns nn.Sequential with named layers unflatten, conv1, norm1, act1, pool1, ..., flatten,
    out. Taught in notebook 07.
    """
    channels = _check_sizes([1, *channels, classes])[1:-1]
    if isinstance(norm, str) and norm not in NORMS_2D:
        raise ValueError(f"make_cnn: norm must be None, one of {list(NORMS_2D)} or a callable "
                         f"num_channels -> module, got {norm!r}")
    make_act, _ = _check_options(activation, None, 0.0, None)
    make_norm = NORMS_2D[norm] if isinstance(norm, str) else norm
    bias = _check_hidden_bias(hidden_bias, make_norm, "make_cnn")
    if seed is not None:
        with seeded(seed):
            return make_cnn(channels, activation, norm, classes, seed=None, hidden_bias=bias)
    net = nn.Sequential()
    net.add_module("unflatten", nn.Unflatten(1, (1, 28, 28)))
    for i, (c_in, c_out) in enumerate(zip([1, *channels[:-1]], channels), start=1):
        net.add_module(f"conv{i}", nn.Conv2d(c_in, c_out, 3, padding=1, bias=bias))
        if make_norm is not None:
            net.add_module(f"norm{i}", make_norm(c_out))
        net.add_module(f"act{i}", make_act())
        net.add_module(f"pool{i}", nn.MaxPool2d(2))
    side = 28 // 2 ** len(channels)
    net.add_module("flatten", nn.Flatten())
    net.add_module("out", nn.Linear(channels[-1] * side * side, classes))
    return net


def init_normal_(net: nn.Module, std: float) -> nn.Module:
    """Draw every Linear weight from N(0, std²) and zero every Linear bias, in place."""
    with torch.no_grad():
        for layer in linear_layers(net):
            layer.weight.normal_(0.0, std)
            if layer.bias is not None:
                layer.bias.zero_()
    return net


def linear_layers(net: nn.Module) -> list[nn.Linear]:
    """The network's Linear layers, bottom to top (the last one is the output layer)."""
    return [m for m in net.modules() if isinstance(m, nn.Linear)]


def hidden_activations(net: nn.Module) -> list[tuple[str, nn.Module]]:
    """(name, module) of every hidden activation, bottom to top: where pre-activations enter."""
    kinds = tuple(ACTIVATIONS.values())
    return [(name, m) for name, m in net.named_modules() if isinstance(m, kinds)]


def activation_name(module: nn.Module) -> str:
    """"sigmoid", "tanh" or "relu" for an activation module."""
    for name, kind in ACTIVATIONS.items():
        if isinstance(module, kind):
            return name
    raise ValueError(f"activation_name: {type(module).__name__} is not one of {list(ACTIVATIONS)}")


def _check_sizes(sizes) -> list[int]:
    try:
        sizes = [int(s) for s in sizes]
    except (TypeError, ValueError) as e:
        raise ValueError(f"make_mlp: sizes must be a list of integers, got {sizes!r}") from e
    if len(sizes) < 2 or min(sizes) < 1:
        raise ValueError(f"make_mlp: sizes needs ≥ 2 positive widths (inputs ... outputs), "
                         f"got {sizes}")
    return sizes


def _check_options(activation, norm, dropout, init_std):
    if activation not in ACTIVATIONS:
        raise ValueError(f"make_mlp: activation must be one of {list(ACTIVATIONS)}, "
                         f"got {activation!r}")
    if isinstance(norm, str) and norm not in NORMS:
        raise ValueError(f"make_mlp: norm must be None, one of {list(NORMS)} or a callable "
                         f"num_features -> module, got {norm!r}")
    if norm is not None and not isinstance(norm, str) and not callable(norm):
        raise ValueError(f"make_mlp: norm must be None, a name or a callable, got {norm!r}")
    if not 0 <= dropout < 1:
        raise ValueError(f"make_mlp: dropout must be a probability in [0, 1), got {dropout}")
    if init_std is not None and not init_std > 0:
        raise ValueError(f"make_mlp: init_std must be positive (or None), got {init_std}")
    make_norm = NORMS[norm] if isinstance(norm, str) else norm
    return ACTIVATIONS[activation], make_norm


def _check_hidden_bias(hidden_bias, make_norm, caller: str = "make_mlp") -> bool:
    """hidden_bias as a bool: None means a bias exactly when there is no normalization."""
    if hidden_bias is None:
        return make_norm is None
    if not isinstance(hidden_bias, bool):
        raise ValueError(f"{caller}: hidden_bias must be True, False or None (a bias exactly "
                         f"when norm is None), got {hidden_bias!r}")
    return hidden_bias
