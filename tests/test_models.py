import pytest
import torch
from torch import nn

from helpers.models import (
    activation_name,
    hidden_activations,
    linear_layers,
    make_cnn,
    make_mlp,
)


@pytest.mark.parametrize("activation", ["sigmoid", "tanh", "relu"])
def test_shapes_and_layer_names(activation):
    net = make_mlp([784, 32, 16, 10], activation=activation, seed=0)
    assert net(torch.zeros(5, 784)).shape == (5, 10)
    assert [n for n, _ in net.named_children()] == ["linear1", "act1", "linear2", "act2", "out"]
    assert [activation_name(m) for _, m in hidden_activations(net)] == [activation] * 2


def test_norm_follows_each_hidden_linear_and_drops_its_bias():
    net = make_mlp([10, 8, 8, 3], norm="batch")
    assert isinstance(net.norm1, nn.BatchNorm1d) and isinstance(net.norm2, nn.BatchNorm1d)
    assert net.linear1.bias is None and net.linear2.bias is None and net.out.bias is not None
    std = make_mlp([10, 8, 3], norm="standardize")
    assert std.norm1.weight is None  # no learnable γ, β
    custom = make_mlp([10, 8, 3], norm=lambda d: nn.LayerNorm(d))
    assert isinstance(custom.norm1, nn.LayerNorm)


def test_hidden_bias_defaults_to_no_bias_exactly_when_a_norm_follows():
    assert make_mlp([10, 8, 8, 3]).linear1.bias is not None
    assert make_mlp([10, 8, 8, 3], norm="batch").linear2.bias is None
    assert make_cnn((4, 8), norm="batch").conv1.bias is None
    assert make_cnn((4, 8)).conv1.bias is not None


@pytest.mark.parametrize("norm", [None, "batch", "standardize", lambda d: nn.LayerNorm(d)])
def test_default_hidden_bias_draws_the_same_numbers_as_before(norm):
    """Every existing call builds the same layers and draws the same weights as the factory did
    before hidden_bias existed: Linear layers with bias=(norm is None), in this order."""
    torch.manual_seed(3)
    net = make_mlp([6, 5, 4, 3], activation="tanh", norm=norm)
    torch.manual_seed(3)
    old_linears = [nn.Linear(6, 5, bias=norm is None)]
    if norm is not None:
        nn.BatchNorm1d(5)  # no random draws: the norm layers do not move the generator
    old_linears += [nn.Linear(5, 4, bias=norm is None), nn.Linear(4, 3)]
    for new, old in zip(linear_layers(net), old_linears, strict=True):
        assert torch.equal(new.weight, old.weight)
        assert (new.bias is None) == (old.bias is None)
        assert new.bias is None or torch.equal(new.bias, old.bias)
    explicit = make_mlp([6, 5, 4, 3], "tanh", norm, seed=3, hidden_bias=norm is None)
    default = make_mlp([6, 5, 4, 3], "tanh", norm, seed=3)
    assert [n for n, _ in default.named_parameters()] == [n for n, _ in explicit.named_parameters()]
    assert all(torch.equal(p, q) for p, q in zip(default.parameters(), explicit.parameters()))


def test_hidden_bias_true_keeps_biases_under_any_norm():
    noisy = make_mlp([10, 8, 8, 3], norm=lambda d: nn.Dropout(0.1), hidden_bias=True, seed=0)
    assert all(layer.bias is not None for layer in linear_layers(noisy))
    assert isinstance(noisy.norm1, nn.Dropout)
    with_bn = make_mlp([10, 8, 3], norm="batch", hidden_bias=True, init_std=0.1, seed=0)
    assert isinstance(with_bn.norm1, nn.BatchNorm1d) and torch.all(with_bn.linear1.bias == 0)
    plain = make_mlp([10, 8, 3], hidden_bias=False, seed=0)
    assert plain.linear1.bias is None and plain.out.bias is not None  # the output keeps its bias
    cnn = make_cnn((4, 8), norm="batch", hidden_bias=True, seed=0)
    assert cnn.conv1.bias is not None and cnn.conv2.bias is not None
    assert cnn(torch.zeros(2, 784)).shape == (2, 10)


def test_dropout_and_init_scale():
    net = make_mlp([100, 400, 400, 10], dropout=0.5, init_std=0.1, seed=0)
    assert isinstance(net.drop1, nn.Dropout) and net.drop1.p == 0.5
    for layer in linear_layers(net):
        assert layer.weight.std().item() == pytest.approx(0.1, rel=0.05)
        assert torch.all(layer.bias == 0)


def test_same_seed_same_weights():
    a, b = make_mlp([5, 4, 2], seed=7), make_mlp([5, 4, 2], seed=7)
    assert all(torch.equal(p, q) for p, q in zip(a.parameters(), b.parameters()))


@pytest.mark.parametrize("kwargs, message", [
    ({"sizes": [784]}, "sizes needs"),
    ({"sizes": [784, 0, 10]}, "sizes needs"),
    ({"sizes": "abc"}, "list of integers"),
    ({"sizes": [4, 2], "activation": "gelu"}, "activation must be one of"),
    ({"sizes": [4, 2], "norm": "layer"}, "norm must be None"),
    ({"sizes": [4, 2], "norm": 3}, "norm must be None"),
    ({"sizes": [4, 2], "dropout": 1.0}, "dropout"),
    ({"sizes": [4, 2], "init_std": -0.1}, "init_std"),
    ({"sizes": [4, 3, 2], "hidden_bias": "yes"}, "hidden_bias must be True, False or None"),
])
def test_bad_arguments_say_what_is_wrong(kwargs, message):
    with pytest.raises(ValueError, match=message):
        make_mlp(**kwargs)


def test_activation_name_rejects_other_modules():
    with pytest.raises(ValueError, match="not one of"):
        activation_name(nn.GELU())


@pytest.mark.parametrize("norm", [None, "batch", lambda c: nn.GroupNorm(2, c)])
def test_make_cnn_takes_mnist_rows_and_names_its_layers(norm):
    net = make_cnn(channels=(4, 8), norm=norm, seed=0)
    assert net(torch.zeros(3, 784)).shape == (3, 10)
    names = [n for n, _ in net.named_children()]
    assert names[:2] == ["unflatten", "conv1"] and names[-2:] == ["flatten", "out"]
    assert (net.conv1.bias is None) == (norm is not None)
    assert len(hidden_activations(net)) == 2


def test_make_cnn_is_seeded_and_checks_its_arguments():
    a, b = make_cnn(seed=3), make_cnn(seed=3)
    assert torch.equal(a.conv1.weight, b.conv1.weight)
    with pytest.raises(ValueError, match="norm"):
        make_cnn(norm="layer")
    with pytest.raises(ValueError, match="activation"):
        make_cnn(activation="gelu")
    with pytest.raises(ValueError, match="make_cnn: hidden_bias"):
        make_cnn(hidden_bias=1)
