"""helpers.inference: precise BN, folding, non-i.i.d. batches, Batch Renormalization."""

import copy

import numpy as np
import pytest
import torch
from torch import nn

from helpers.inference import (
    BatchRenorm1d,
    batch_renorm,
    bn_layers,
    class_batches,
    fold_batchnorm,
    fold_into_linear,
    fold_mlp,
    precise_bn_,
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


@pytest.mark.parametrize("norm", ["batch", BatchNorm1d])
def test_precise_bn_is_algorithm_2_for_the_first_layer(norm):
    net = trained_bn_net(norm)
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


def test_precise_bn_errors():
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


@pytest.mark.parametrize("k", [1, 2, 3])
def test_class_batches_have_k_classes_and_the_right_size(k):
    labels = np.repeat(np.arange(5), 7)
    gen = class_batches(labels, batch_size=6, classes_per_batch=k, seed=0)
    for _ in range(30):
        idx = next(gen)
        assert idx.dtype == torch.int64 and idx.shape == (6,)
        assert len(np.unique(labels[idx.numpy()])) == k
        assert len(set(idx.tolist())) == 6  # no repeats within a batch


def test_class_batches_visit_every_example_and_are_seeded():
    labels = torch.tensor([0] * 10 + [1] * 10)
    seen = torch.cat([next(g) for g in [class_batches(labels, 5, seed=3)] for _ in range(40)])
    assert set(seen.tolist()) == set(range(20))
    a = [next(class_batches(labels, 5, seed=1)).tolist() for _ in range(2)]
    assert a[0] == a[1]


def test_class_batches_errors():
    with pytest.raises(ValueError, match="classes_per_batch"):
        next(class_batches([0, 1, 1], 4, classes_per_batch=3))
    with pytest.raises(ValueError, match="batch_size"):
        next(class_batches([0, 1, 1], 1, classes_per_batch=2))


def _bn_grad(x, weight, dout):
    x = x.detach().requires_grad_()
    out = nn.functional.batch_norm(x, None, None, weight, None, training=True)
    return out, torch.autograd.grad(out, x, dout)[0]


def test_batch_renorm_without_corrections_is_batch_norm():
    x = (torch.randn(12, 4, dtype=torch.float64) * 2 + 3).requires_grad_()
    rm, rv = torch.full((4,), -1.0, dtype=torch.float64), torch.full((4,), 5.0, dtype=torch.float64)
    w = torch.rand(4, dtype=torch.float64) + 0.5
    dout = torch.randn(12, 4, dtype=torch.float64)
    out = batch_renorm(x, rm, rv, w, None, training=True, r_max=1.0, d_max=0.0)
    ref, ref_dx = _bn_grad(x, w, dout)
    torch.testing.assert_close(out, ref)
    torch.testing.assert_close(torch.autograd.grad(out, x, dout)[0], ref_dx)


def test_batch_renorm_no_gradient_through_r_and_d():
    x = (torch.randn(12, 4, dtype=torch.float64) * 2 + 3).requires_grad_()
    rm, rv = torch.zeros(4, dtype=torch.float64), torch.ones(4, dtype=torch.float64)
    r = (torch.sqrt(x.var(0, unbiased=False) + 1e-5) / torch.sqrt(rv + 1e-5)).clamp(1 / 3, 3)
    d = ((x.mean(0) - rm) / torch.sqrt(rv + 1e-5)).clamp(-5, 5)
    dout = torch.randn(12, 4, dtype=torch.float64)
    out = batch_renorm(x, rm.clone(), rv.clone(), training=True)
    bn_out, bn_dx = _bn_grad(x, r.detach(), dout)
    torch.testing.assert_close(out, bn_out + d.detach())
    torch.testing.assert_close(torch.autograd.grad(out, x, dout)[0], bn_dx)


def test_batch_renorm_updates_running_statistics_like_bn():
    x = torch.randn(10, 3, dtype=torch.float64)
    rm, rv = torch.zeros(3, dtype=torch.float64), torch.ones(3, dtype=torch.float64)
    batch_renorm(x, rm, rv, training=True, momentum=0.2)
    torch.testing.assert_close(rm, 0.2 * x.mean(0))
    torch.testing.assert_close(rv, 0.8 + 0.2 * x.var(0, unbiased=True))


def test_batch_renorm_eval_mode_and_errors():
    x = torch.randn(5, 3, dtype=torch.float64)
    rm, rv = torch.randn(3, dtype=torch.float64), torch.rand(3, dtype=torch.float64) + 0.5
    torch.testing.assert_close(batch_renorm(x, rm, rv), (x - rm) / torch.sqrt(rv + 1e-5))
    with pytest.raises(ValueError, match="2-D"):
        batch_renorm(torch.randn(2, 3, 4), rm, rv)
    with pytest.raises(ValueError, match="at least 2"):
        batch_renorm(torch.randn(1, 3, dtype=torch.float64), rm, rv, training=True)


def test_batch_renorm_module():
    brn = BatchRenorm1d(4)
    assert brn.momentum == 0.01 and brn.r_max == 3.0 and "r_max=3.0" in repr(brn)
    x = torch.randn(16, 4) * 2 + 1
    brn(x)
    assert int(brn.num_batches_tracked) == 1
    ref = BatchNorm1d(4)
    ref.load_state_dict(brn.state_dict())
    brn.eval(), ref.eval()
    torch.testing.assert_close(brn(x), ref(x))  # eval mode is batch norm
    assert set(brn.state_dict()) == set(nn.BatchNorm1d(4).state_dict())
    with pytest.raises(ValueError, match="momentum"):
        BatchRenorm1d(4, momentum=None)


def test_batch_renorm_module_trains():
    torch.manual_seed(0)
    x = torch.randn(64, 2)
    y = (x[:, 0] * x[:, 1] > 0).long()
    net = make_mlp([2, 16, 2], "relu", norm=lambda d: BatchRenorm1d(d, momentum=0.1), seed=0)
    opt = torch.optim.SGD(net.parameters(), lr=0.2)
    first = None
    for _ in range(150):
        loss = nn.functional.cross_entropy(net(x), y)
        first = first if first is not None else loss.item()
        opt.zero_grad(), loss.backward(), opt.step()
    assert loss.item() < first / 2
