"""helpers.inference: precise BN and folding, each checked against PyTorch's own utility."""

import copy

import pytest
import torch
from torch import nn
from torch.nn.utils.fusion import fuse_linear_bn_eval
from torch.optim.swa_utils import update_bn

from helpers.inference import (
    bn_layers,
    fold_batchnorm,
    fold_into_linear,
    fold_mlp,
    precise_bn_,
    variance_shift,
)
from helpers.models import make_mlp
from helpers.normalization import BatchNorm1d


def trained_bn_net(norm="batch", seed=0):
    """A small BN network whose γ, β and running statistics are not at their initial values."""
    torch.manual_seed(seed)
    net = make_mlp([6, 5, 4, 3], "sigmoid", norm=norm, seed=seed).double()
    with torch.no_grad():
        for bn in bn_layers(net):
            bn.weight.uniform_(0.5, 2), bn.bias.normal_()
        net.train()
        for _ in range(5):
            net(torch.randn(16, 6, dtype=torch.float64) * 2 + 1)
    return net.eval()


@pytest.mark.parametrize("norm", ["batch", BatchNorm1d])
def test_bn_layers_finds_torch_and_course_modules(norm):
    net = make_mlp([4, 3, 3, 2], "relu", norm=norm)
    assert len(bn_layers(net)) == 2
    assert bn_layers(make_mlp([4, 3, 2], "relu")) == []


def test_precise_bn_is_algorithm_2_for_the_first_layer():
    net = trained_bn_net()
    x = torch.randn(100, 6, dtype=torch.float64) * 3
    momentum = bn_layers(net)[0].momentum
    precise_bn_(net, x, batch_size=20, seed=1)
    perm = torch.randperm(100, generator=torch.Generator().manual_seed(1))
    with torch.no_grad():
        z = torch.stack([net.linear1(b) for b in x[perm].split(20)])  # (5, 20, 5)
    expected_mean = z.mean(dim=1).mean(dim=0)
    expected_var = 20 / 19 * z.var(dim=1, unbiased=False).mean(dim=0)
    torch.testing.assert_close(net.norm1.running_mean, expected_mean)
    torch.testing.assert_close(net.norm1.running_var, expected_var)
    assert not net.training and bn_layers(net)[0].momentum == momentum


def test_precise_bn_drops_the_partial_batch_and_restores_train_mode():
    net = trained_bn_net().train()
    x = torch.randn(50, 6, dtype=torch.float64)
    precise_bn_(net, x, batch_size=20)
    assert net.training
    assert int(net.norm1.num_batches_tracked) == 2


def test_precise_bn_equals_update_bn_with_dropout_off():
    net = make_mlp([6, 5, 4, 3], "relu", norm="batch", dropout=0.5, seed=0).double()
    x = torch.randn(60, 6, dtype=torch.float64)
    ours = precise_bn_(copy.deepcopy(net), x, batch_size=20, seed=2)
    theirs = copy.deepcopy(net)
    for m in theirs.modules():
        if isinstance(m, nn.Dropout):
            m.p = 0.0
    perm = torch.randperm(60, generator=torch.Generator().manual_seed(2))
    update_bn(list(x[perm].split(20)), theirs)
    for a, b in zip(bn_layers(ours), bn_layers(theirs)):
        torch.testing.assert_close(a.running_mean, b.running_mean)
        torch.testing.assert_close(a.running_var, b.running_var)
    assert ours.drop1.p == 0.5, "the dropout rate is restored"


def test_precise_bn_errors():
    with pytest.raises(ValueError, match="nn.BatchNorm1d"):
        precise_bn_(trained_bn_net(BatchNorm1d), torch.randn(10, 6, dtype=torch.float64))
    with pytest.raises(ValueError, match="no BN layer"):
        precise_bn_(make_mlp([4, 3, 2], "relu"), torch.randn(10, 4))
    with pytest.raises(ValueError, match="batch_size"):
        precise_bn_(trained_bn_net(), torch.randn(10, 6, dtype=torch.float64), batch_size=1)


@pytest.mark.parametrize("affine", [True, False])
def test_fold_batchnorm_equals_eval_mode(affine):
    bn = nn.BatchNorm1d(4, affine=affine).double()
    bn.train()(torch.randn(32, 4, dtype=torch.float64) * 3 + 1)
    bn.eval()
    x = torch.randn(10, 4, dtype=torch.float64)
    scale, shift = fold_batchnorm(bn)
    torch.testing.assert_close(scale * x + shift, bn(x))
    assert scale.shape == shift.shape == (4,) and not scale.requires_grad


def test_fold_batchnorm_needs_running_statistics():
    with pytest.raises(ValueError, match="running statistics"):
        fold_batchnorm(nn.BatchNorm1d(3, track_running_stats=False))


@pytest.mark.parametrize("bias", [True, False])
def test_fold_into_linear_equals_pytorchs_fuse_linear_bn_eval(bias):
    net = trained_bn_net()
    linear = nn.Linear(6, 5, bias=bias).double().eval()  # PyTorch's fuses eval-mode pairs only
    ours, theirs = fold_into_linear(linear, net.norm1), fuse_linear_bn_eval(linear, net.norm1)
    torch.testing.assert_close(ours.weight, theirs.weight)
    torch.testing.assert_close(ours.bias, theirs.bias)


def test_fold_into_linear_handles_bn_without_affine_parameters():
    bn = nn.BatchNorm1d(5, affine=False).double()
    bn.train()(torch.randn(32, 5, dtype=torch.float64) * 2 + 1)
    linear = nn.Linear(6, 5).double()
    x = torch.randn(7, 6, dtype=torch.float64)
    with torch.no_grad():
        torch.testing.assert_close(fold_into_linear(linear, bn.eval())(x), bn(linear(x)))


@pytest.mark.parametrize("bias", [True, False])
def test_fold_into_linear(bias):
    net = trained_bn_net()
    linear = nn.Linear(6, 5, bias=bias).double()
    folded = fold_into_linear(linear, net.norm1)
    x = torch.randn(7, 6, dtype=torch.float64)
    with torch.no_grad():
        torch.testing.assert_close(folded(x), net.norm1(linear(x)))
    with pytest.raises(ValueError, match="features"):
        fold_into_linear(nn.Linear(6, 3), net.norm1)


@pytest.mark.parametrize("norm", ["batch", BatchNorm1d])
def test_fold_mlp_equals_eval_mode_and_has_no_bn(norm):
    net = trained_bn_net(norm)
    folded = fold_mlp(net)
    x = torch.randn(9, 6, dtype=torch.float64)
    with torch.no_grad():
        torch.testing.assert_close(folded(x), net(x))
    assert bn_layers(folded) == []
    assert [n for n, _ in folded.named_children()] == ["linear1", "act1", "linear2", "act2", "out"]
    with pytest.raises(ValueError, match="Sequential"):
        fold_mlp(nn.Linear(2, 2))


def test_fold_mlp_leaves_the_original_alone():
    net = trained_bn_net()
    before = copy.deepcopy(net.state_dict())
    fold_mlp(net)
    for k, v in net.state_dict().items():
        assert torch.equal(v, before[k])


def test_variance_shift_is_running_var_over_the_eval_input_variance():
    net = make_mlp([6, 5, 3], activation="relu", norm="batch", seed=0).train()
    x = torch.randn(50, 6, generator=torch.Generator().manual_seed(0))
    precise_bn_(net, x, batch_size=len(x))  # running statistics = x's: the ratio is 1
    assert variance_shift(net, x) == pytest.approx([1.0], rel=1e-4)
    with torch.no_grad():
        net.norm1.running_var.mul_(2.0)  # as if dropout had inflated it in training
    assert variance_shift(net, x) == pytest.approx([2.0], rel=1e-4)
    assert net.training, "the model itself is not switched to eval mode"
