"""Benchmark (not a test): helpers.normalization.BatchNorm1d against torch.nn.BatchNorm1d.

Times one training step, forward + backward in float32 on a CPU batch, for both modules,
interleaved rep by rep so that both see the same machine load; prints the median of each and
the ratio. Also times the eval-mode forward. Run from the repository root:

    .venv/bin/python tools/bench_batchnorm.py [--batch 256] [--features 1024] [--reps 200]
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


def median_times(step, modules, args, reps, warmup):
    """Median seconds per call of step(module, *args) for each module, interleaved."""
    times = {name: [] for name in modules}
    for i in range(warmup + reps):
        for name, module in modules.items():
            t = step(module, *args)
            if i >= warmup:
                times[name].append(t)
    return {name: statistics.median(ts) for name, ts in times.items()}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--batch", type=int, default=256)
    parser.add_argument("--features", type=int, default=1024)
    parser.add_argument("--reps", type=int, default=200)
    parser.add_argument("--warmup", type=int, default=20)
    args = parser.parse_args()

    torch.manual_seed(0)
    x = torch.randn(args.batch, args.features, requires_grad=True)
    dout = torch.randn(args.batch, args.features)
    modules = {"helpers BatchNorm1d": BatchNorm1d(args.features),
               "torch.nn.BatchNorm1d": torch.nn.BatchNorm1d(args.features)}
    train = median_times(train_step, modules, (x, dout), args.reps, args.warmup)
    for m in modules.values():
        m.eval()
    evals = median_times(eval_step, modules, (x,), args.reps, args.warmup)

    print(f"BatchNorm1d, x = ({args.batch}, {args.features}) float32, CPU, "
          f"{torch.get_num_threads()} threads, median of {args.reps} reps (torch {torch.__version__})")
    print(f"{'module':<22} {'train fwd+bwd (µs)':>19} {'eval fwd (µs)':>14}")
    for name in modules:
        print(f"{name:<22} {train[name] * 1e6:>19.1f} {evals[name] * 1e6:>14.1f}")
    ours, ref = modules
    print(f"{'ratio helpers/torch':<22} {train[ours] / train[ref]:>18.2f}x "
          f"{evals[ours] / evals[ref]:>13.2f}x")


if __name__ == "__main__":
    main()
