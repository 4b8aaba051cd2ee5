"""helpers.distributed: ghost batch norm, the synchronized Function, two local gloo processes."""

from __future__ import annotations

import tempfile
from datetime import timedelta
from pathlib import Path

import pytest
import torch
import torch.distributed as dist
from torch.nn import functional as F

from helpers.distributed import (
    SyncBatchNormFunction,
    free_port,
    ghost_batch_norm,
    run_data_parallel,
    split_sizes,
)


def inputs(n=12, d=5, seed=0):
    gen = torch.Generator().manual_seed(seed)
    x = torch.randn(n, d, generator=gen, dtype=torch.float64) * 3 + 2
    dout = torch.randn(n, d, generator=gen, dtype=torch.float64)
    w = torch.rand(d, generator=gen, dtype=torch.float64) + 0.5
    b = torch.randn(d, generator=gen, dtype=torch.float64)
    return x, dout, w, b


def by_autograd(layer, x, dout, w, b):
    x, w, b = (t.clone().requires_grad_() for t in (x, w, b))
    out = layer(x, w, b)
    out.backward(dout)
    return {"out": out.detach(), "dx": x.grad, "dweight": w.grad, "dbias": b.grad}


def test_split_sizes():
    assert split_sizes(10, 2) == [5, 5] and split_sizes(11, 3) == [4, 4, 3]
    with pytest.raises(ValueError, match="at least 2 examples per device"):
        split_sizes(5, 3)


def test_ghost_batch_norm_is_batch_norm_of_each_slice():
    x, _, w, b = inputs(n=11)
    out = ghost_batch_norm(x, w, b, world_size=2)
    expected = torch.cat([F.batch_norm(p, None, None, w, b, training=True)
                          for p in (x[:6], x[6:])])
    torch.testing.assert_close(out, expected)
    torch.testing.assert_close(ghost_batch_norm(x, w, b, world_size=1),
                               F.batch_norm(x, None, None, w, b, training=True))


def test_sync_function_in_a_group_of_one_is_batch_norm():
    """With one process the all-reduces are identities: forward and backward equal PyTorch's."""
    x, dout, w, b = inputs()
    dist.init_process_group("gloo", init_method=f"tcp://127.0.0.1:{free_port()}", rank=0,
                            world_size=1, timeout=timedelta(seconds=30))
    try:
        mine = by_autograd(lambda *a: SyncBatchNormFunction.apply(*a, 1e-5), x, dout, w, b)
        assert torch.autograd.gradcheck(lambda *a: SyncBatchNormFunction.apply(*a, 1e-5),
                                        tuple(t.clone().requires_grad_() for t in (x, w, b)))
    finally:
        dist.destroy_process_group()
    ref = by_autograd(lambda x, w, b: F.batch_norm(x, None, None, w, b, training=True),
                      x, dout, w, b)
    for key in ref:
        torch.testing.assert_close(mine[key], ref[key], rtol=1e-10, atol=1e-10)


def leftover_folders():
    return set(Path(tempfile.gettempdir()).glob("bn_data_parallel_*"))


def test_two_processes_reproduce_single_process_batch_norm():
    x, dout, w, b = inputs(n=16)
    before = leftover_folders()
    result = run_data_parallel(x, dout, w, b, world_size=2, timeout_s=60)
    assert leftover_folders() == before, "the temporary folder is removed"
    full = by_autograd(lambda x, w, b: F.batch_norm(x, None, None, w, b, training=True),
                       x, dout, w, b)
    ghost = by_autograd(lambda x, w, b: ghost_batch_norm(x, w, b, 2), x, dout, w, b)
    for key in full:
        torch.testing.assert_close(result["synchronized"][key], full[key], rtol=1e-10,
                                   atol=1e-10)
        torch.testing.assert_close(result["per-device"][key], ghost[key], rtol=1e-10,
                                   atol=1e-10)
    assert result["synchronized"]["bn_all_reduces"] == 2
    assert result["per-device"]["bn_all_reduces"] == 0 and result["world_size"] == 2


def test_a_timeout_stops_the_processes_and_says_so():
    x, dout, w, b = inputs()
    before = leftover_folders()
    with pytest.raises(RuntimeError, match="did not finish within"):
        run_data_parallel(x, dout, w, b, timeout_s=0.2)
    assert leftover_folders() == before
