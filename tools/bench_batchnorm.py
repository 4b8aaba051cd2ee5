"""Benchmark (not a test): helpers.normalization.BatchNorm1d against torch.nn.BatchNorm1d.

Times one training step, forward + backward in float32 on a CPU batch, for both modules,
interleaved rep by rep so that both see the same machine load; prints the median of each, their
ratio, and the median of the rep-by-rep ratios (steadier on a shared machine). Also times the
eval-mode forward. Run from the repository root:

    .venv/bin/python tools/bench_batchnorm.py [--batch 256] [--features 1024] [--reps 200]
                                              [--threads N]
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

import torch

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from helpers.normalization import BatchNorm1d  # noqa: E402


def train_step(module, x, dout):
    """Forward + backward of one batch; returns the seconds it took."""
    x.grad = None
    start = time.perf_counter()
    module(x).backward(dout)
    return time.perf_counter() - start


def eval_step(module, x):
    start = time.perf_counter()
    with torch.no_grad():
        module(x)
    return time.perf_counter() - start


def interleaved_times(step, modules, args, reps, warmup):
    """Seconds per call of step(module, *args), for each module, one call of each per rep.

    The order alternates from rep to rep, so that neither module always runs second.
    """
    times = {name: [] for name in modules}
    for i in range(warmup + reps):
        for name in list(modules)[:: 1 if i % 2 else -1]:
            t = step(modules[name], *args)
            if i >= warmup:
                times[name].append(t)
    return times


def summary(times):
    """(median time of each module, median over reps of the paired ratio ours/torch)."""
    (ours, t_ours), (_, t_ref) = times.items()
    medians = {name: statistics.median(ts) for name, ts in times.items()}
    return medians, statistics.median(a / b for a, b in zip(t_ours, t_ref, strict=True))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--batch", type=int, default=256)
    parser.add_argument("--features", type=int, default=1024)
    parser.add_argument("--reps", type=int, default=200)
    parser.add_argument("--warmup", type=int, default=20)
    parser.add_argument("--threads", type=int, default=None, help="default: torch's default")
    args = parser.parse_args()
    if args.threads is not None:
        torch.set_num_threads(args.threads)

    torch.manual_seed(0)
    x = torch.randn(args.batch, args.features, requires_grad=True)
    dout = torch.randn(args.batch, args.features)
    modules = {"helpers BatchNorm1d": BatchNorm1d(args.features),
               "torch.nn.BatchNorm1d": torch.nn.BatchNorm1d(args.features)}
    train, train_ratio = summary(interleaved_times(train_step, modules, (x, dout), args.reps,
                                                   args.warmup))
    for m in modules.values():
        m.eval()
    evals, eval_ratio = summary(interleaved_times(eval_step, modules, (x,), args.reps,
                                                  args.warmup))

    print(f"BatchNorm1d, x = ({args.batch}, {args.features}) float32, CPU, "
          f"{torch.get_num_threads()} threads, median of {args.reps} reps, "
          f"torch {torch.__version__}")
    print(f"{'module':<22} {'train fwd+bwd (µs)':>19} {'eval fwd (µs)':>14}")
    for name in modules:
        print(f"{name:<22} {train[name] * 1e6:>19.1f} {evals[name] * 1e6:>14.1f}")
    ours, ref = modules
    print(f"{'ratio of medians':<22} {train[ours] / train[ref]:>18.2f}x "
          f"{evals[ours] / evals[ref]:>13.2f}x")
    print(f"{'median paired ratio':<22} {train_ratio:>18.2f}x {eval_ratio:>13.2f}x")

if __name__ == "__main__":
    main()
