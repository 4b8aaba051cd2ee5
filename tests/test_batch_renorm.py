"""helpers.normalization.batch_renorm and BatchRenorm1d: Batch Renormalization (Ioffe 2017).

Checked against batch norm (PyTorch's functional) where the two must agree: with r = 1, d = 0,
in eval mode, in the running-statistics update, and in the gradient with r and d held constant.
"""

import pytest
import torch
from torch import nn

from helpers.models import make_mlp
from helpers.normalization import BatchNorm1d, BatchRenorm1d, batch_renorm


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
