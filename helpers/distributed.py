"""Batch norm across devices, on one CPU: two local processes talking through torch.distributed.

    from helpers.distributed import ghost_batch_norm, run_data_parallel
    result = run_data_parallel(x, dout, weight, bias)   # 2 processes, gloo, 127.0.0.1 only
    result["per-device"]["out"]       # each process normalized its own half of the batch
    result["synchronized"]["out"]     # the statistics all-reduced: the full batch's

When a batch of N examples is split over W devices (data parallelism), a batch-norm layer sees
only its device's slice of N/W examples unless it is synchronized:

- **per-device statistics** (PyTorch's plain BatchNorm under DistributedDataParallel): each
  device normalizes with the mean and variance of its own slice; in one process that is
  ``ghost_batch_norm`` (batch norm applied to each slice separately);
- **synchronized statistics** (``nn.SyncBatchNorm``, which needs GPUs): ``SyncBatchNormFunction``
  all-reduces every device's Σx, Σx² and count in the forward pass, so that each device uses the
  full batch's mean and variance, and Σdout, Σdout·x_hat in the backward pass, so that the
  gradient is the full batch's too. One all-reduce per layer each way;
- **no communication**: a control for timing, the same ``SyncBatchNormFunction`` with both
  all-reduces skipped (``communicate=False``): the same Python arithmetic, each device's own
  sums, so that the difference in time from ``synchronized`` is the communication's.

``run_data_parallel`` starts W processes of this module (``python -m helpers.distributed``), on
127.0.0.1 with a free port and the gloo backend, with a timeout; each computes every mode on
its slice, forward and backward, and writes its results to a temporary folder, which the caller
reads back and then deletes. Taught in notebook 13. Shapes: N = batch, D = features,
W = processes (world size).
"""

from __future__ import annotations

import argparse
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from datetime import timedelta
from pathlib import Path

import torch
import torch.distributed as dist
from torch.nn import functional as F

ROOT = Path(__file__).resolve().parent.parent  # the course folder, which holds helpers/
MODES = ("per-device", "synchronized", "no communication")


def split_sizes(n: int, world_size: int) -> list[int]:
    """How many of n examples each of world_size devices gets (contiguous, as even as possible)."""
    if not isinstance(world_size, int) or world_size < 1 or n < 2 * world_size:
        raise ValueError(f"split_sizes: need an integer world_size ≥ 1 and at least 2 examples "
                         f"per device, got n={n}, world_size={world_size!r}")
    return [n // world_size + (k < n % world_size) for k in range(world_size)]


def ghost_batch_norm(x, weight=None, bias=None, world_size: int = 2, eps: float = 1e-5):
    """Batch norm of each device's slice on its own: what per-device statistics compute.

    out[slice k] = γ·(x_k − mean(x_k))/√(var(x_k) + eps) + β   for the W contiguous slices x_k
    (``split_sizes``), biased variance, training mode (Hoffer et al. 2017 call this "ghost batch
    normalization"). x: (N, D); weight (= γ), bias (= β): (D,) or None. Returns (N, D).
    """
    parts = x.split(split_sizes(len(x), world_size))
    return torch.cat([F.batch_norm(p, None, None, weight, bias, training=True, eps=eps)
                      for p in parts])


class SyncBatchNormFunction(torch.autograd.Function):
    """Batch norm with the statistics of the whole batch, spread over the processes of a group.

    forward:  [Σx, Σx², n] of this device, all-reduced (summed over devices): N = Σn,
              mu = Σx/N, var = Σx²/N − mu² (biased), x_hat = (x − mu)/√(var + eps),
              out = γ·x_hat + β                                  (γ = weight, β = bias)
    backward: [Σdout, Σdout·x_hat] of this device, all-reduced:
              dx = γ/√(var + eps)·(dout − Σdout/N − x_hat·Σdout·x_hat/N)
              dγ = Σ_this device dout·x_hat,  dβ = Σ_this device dout   (local sums: the
              data-parallel gradient all-reduce adds them up, as for every other parameter)

    ``SyncBatchNormFunction.apply(x, weight, bias, eps, communicate=True)``: x (n, D) this
    device's slice; weight, bias (D,) (not None here). Needs an initialized process group
    unless communicate is False (then both all-reduces are skipped: a control for timing).
    Σx² − N·mu² loses digits when |mu| ≫ σ (float32): PyTorch's SyncBatchNorm gathers each
    device's mean and variance instead; the sums are the textbook version. Returns out (n, D).
    """

    @staticmethod
    def forward(ctx, x, weight, bias, eps, communicate=True):
        n = torch.tensor([float(len(x))], dtype=x.dtype)
        sums = torch.cat([x.sum(0), x.square().sum(0), n])  # (2D + 1,): one message
        if communicate:
            dist.all_reduce(sums)  # summed over devices, in place
        d = x.shape[1]
        count = sums[-1]
        mu = sums[:d] / count
        var = sums[d:2 * d] / count - mu.square()
        inv_std = torch.rsqrt(var + eps)
        x_hat = (x - mu) * inv_std
        ctx.save_for_backward(x_hat, weight, inv_std, count)
        ctx.communicate = communicate
        return x_hat * weight + bias

    @staticmethod
    def backward(ctx, dout):
        x_hat, weight, inv_std, count = ctx.saved_tensors
        dbeta, dgamma = dout.sum(0), (dout * x_hat).sum(0)  # this device's sums
        total = torch.cat([dbeta, dgamma])
        if ctx.communicate:
            dist.all_reduce(total)  # the whole batch's Σdout and Σdout·x_hat
        d = len(dbeta)
        dx = weight * inv_std * (dout - total[:d] / count - x_hat * total[d:] / count)
        return dx, dgamma, dbeta, None, None


def free_port() -> int:
    """A TCP port on 127.0.0.1 that is free right now (the OS picks it)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def run_data_parallel(x, dout, weight, bias, world_size: int = 2, eps: float = 1e-5,
                      timeout_s: float = 60.0, repeats: int = 0) -> dict:
    """Run one batch-norm layer data-parallel in ``world_size`` local processes; gather results.

    Each process k takes its contiguous slice x_k of x (``split_sizes``) and the matching slice
    of the upstream gradient dout, and computes, for every mode in MODES, the layer's output and, by
    backpropagation, dx, dγ and dβ. Parameter gradients are then summed over the processes (the
    all-reduce data-parallel training does for every parameter), so that with
    loss = Σ dout·out they are the full batch's gradients.

    x, dout: (N, D); weight (= γ), bias (= β): (D,). timeout_s: the processes are killed and a
    RuntimeError raised if they have not finished by then. repeats > 0 also times that many
    forward+backward passes of each mode (median seconds per pass, measured in process 0).
    Returns {mode: {"out": (N, D), "dx": (N, D), "dweight": (D,), "dbias": (D,),
    "bn_all_reduces": all-reduce calls the layer itself made, "seconds": median or NaN}} for
    each mode in MODES, plus "world_size". Uses 127.0.0.1 only; the temporary folder is removed.
    """
    n = len(split_sizes(len(x), world_size))
    folder = Path(tempfile.mkdtemp(prefix="bn_data_parallel_"))
    try:
        torch.save({"x": x.detach().cpu(), "dout": dout.detach().cpu(), "eps": eps,
                    "weight": weight.detach().cpu(), "bias": bias.detach().cpu(),
                    "repeats": repeats}, folder / "inputs.pt")
        command = [sys.executable, "-m", "helpers.distributed", "--world-size", str(n),
                   "--port", str(free_port()), "--folder", str(folder),
                   "--timeout", str(timeout_s)]
        procs = [subprocess.Popen([*command, "--rank", str(r)], cwd=ROOT, env=_environment(),
                                  stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
                 for r in range(n)]
        _wait_for(procs, timeout_s)
        results = [torch.load(folder / f"rank{r}.pt") for r in range(n)]
    finally:
        shutil.rmtree(folder, ignore_errors=True)
    return _gather(results)


def _environment() -> dict:
    """The workers' environment: the course importable, one thread each, the loopback device."""
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(p for p in (str(ROOT), env.get("PYTHONPATH")) if p)
    env["OMP_NUM_THREADS"] = "1"
    if sys.platform.startswith("linux"):
        env.setdefault("GLOO_SOCKET_IFNAME", "lo")
    elif sys.platform == "darwin":
        env.setdefault("GLOO_SOCKET_IFNAME", "lo0")
    return env


def _wait_for(procs, timeout_s: float) -> None:
    """Wait for every process; on a failure or past the deadline, kill them all and raise."""
    deadline = time.monotonic() + timeout_s
    try:
        for rank, p in enumerate(procs):
            _, err = p.communicate(timeout=max(0.1, deadline - time.monotonic()))
            if p.returncode != 0:
                raise RuntimeError(f"run_data_parallel: process {rank} failed (exit code "
                                   f"{p.returncode}):\n{err[-1500:]}")
    except subprocess.TimeoutExpired as e:
        raise RuntimeError(f"run_data_parallel: the processes did not finish within "
                           f"{timeout_s} s and were stopped") from e
    finally:
        for p in procs:
            if p.poll() is None:
                p.kill()
                p.communicate()


def _gather(results: list[dict]) -> dict:
    """Concatenate the processes' slices; parameter gradients are already summed."""
    out = {"world_size": len(results)}
    for mode in MODES:
        parts = [r[mode] for r in results]
        out[mode] = {"out": torch.cat([p["out"] for p in parts]),
                     "dx": torch.cat([p["dx"] for p in parts]),
                     "dweight": parts[0]["dweight"], "dbias": parts[0]["dbias"],
                     "bn_all_reduces": parts[0]["bn_all_reduces"],
                     "seconds": parts[0]["seconds"]}
    return out


def _layer(mode: str, x, weight, bias, eps):
    if mode == "per-device":
        return F.batch_norm(x, None, None, weight, bias, training=True, eps=eps)
    return SyncBatchNormFunction.apply(x, weight, bias, eps, mode == "synchronized")


def _one_device(mode: str, x, dout, weight, bias, eps, repeats: int) -> dict:
    """One process's share: forward, backward, count the layer's all-reduces, sum dγ and dβ."""
    calls, all_reduce = [0], dist.all_reduce

    def counted(*args, **kwargs):
        calls[0] += 1
        return all_reduce(*args, **kwargs)

    x, w, b = (t.clone().requires_grad_() for t in (x, weight, bias))
    dist.all_reduce = counted
    try:
        out = _layer(mode, x, w, b, eps)
        out.backward(dout)
    finally:
        dist.all_reduce = all_reduce
    dx, dweight, dbias = x.grad.clone(), w.grad.clone(), b.grad.clone()
    dist.all_reduce(dweight), dist.all_reduce(dbias)  # data parallelism: gradients summed
    return {"out": out.detach(), "dx": dx, "dweight": dweight, "dbias": dbias,
            "bn_all_reduces": calls[0], "seconds": _time(mode, x, dout, w, b, eps, repeats)}


def _time(mode, x, dout, w, b, eps, repeats: int) -> float:
    """Median seconds of one forward+backward pass over ``repeats`` passes (NaN if 0)."""
    seconds = []
    for _ in range(repeats):
        dist.barrier()  # start together, so that no process waits for a late partner
        start = time.perf_counter()
        _layer(mode, x, w, b, eps).backward(dout)
        seconds.append(time.perf_counter() - start)
    return float(torch.tensor(seconds).median()) if seconds else float("nan")


def _worker(rank: int, world_size: int, port: int, folder: Path, timeout_s: float) -> None:
    """One process: join the group, compute both modes on this rank's slice, save, leave."""
    torch.set_num_threads(1)
    dist.init_process_group("gloo", init_method=f"tcp://127.0.0.1:{port}", rank=rank,
                            world_size=world_size, timeout=timedelta(seconds=timeout_s))
    try:
        inputs = torch.load(folder / "inputs.pt")
        sizes = split_sizes(len(inputs["x"]), world_size)
        x, dout = (inputs[k].split(sizes)[rank] for k in ("x", "dout"))
        result = {mode: _one_device(mode, x, dout, inputs["weight"], inputs["bias"],
                                    inputs["eps"], inputs["repeats"]) for mode in MODES}
        torch.save(result, folder / f"rank{rank}.pt")
        dist.barrier()
    finally:
        dist.destroy_process_group()


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description="one process of run_data_parallel")
    for name, kind in (("--rank", int), ("--world-size", int), ("--port", int),
                       ("--folder", Path), ("--timeout", float)):
        parser.add_argument(name, type=kind, required=True)
    args = parser.parse_args(argv)
    _worker(args.rank, args.world_size, args.port, args.folder, args.timeout)


if __name__ == "__main__":
    main()
