"""Benchmark (not a test): the course's BatchNorm1d and BatchNorm2d against torch.nn's.

Times one training step (forward + backward, float32, CPU) of each pair of modules, interleaved
rep by rep so that both see the same machine load, and prints the median time of each and the
median of the rep-by-rep ratios ours/torch (steadier on a shared machine than a ratio of
medians). The course's target: each ratio at most 1.25. Also times the eval-mode forward.
``--clock cpu`` times the thread's CPU time instead of the wall clock, so that time spent waiting
for a core on a busy shared machine does not count (contention for memory still does). Run from
the repository root:

    .venv/bin/python tools/bench_batchnorm.py [--reps 200] [--threads 1] [--clock wall|cpu]
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

import torch

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from helpers.normalization import BatchNorm1d, BatchNorm2d  # noqa: E402

CASES = [("BatchNorm1d", BatchNorm1d, torch.nn.BatchNorm1d, (256, 1024)),
         ("BatchNorm2d", BatchNorm2d, torch.nn.BatchNorm2d, (64, 32, 28, 28))]
TARGET = 1.25
CLOCKS = {"wall": time.perf_counter, "cpu": time.thread_time}
clock = time.perf_counter  # set by --clock


def train_step(module, x, dout):
    """Forward + backward of one batch; returns the seconds it took."""
    x.grad = None
    start = clock()
    module(x).backward(dout)
    return clock() - start


def eval_step(module, x, _dout):
    """An eval-mode forward without gradients; returns the seconds it took."""
    start = clock()
    with torch.no_grad():
        module(x)
    return clock() - start


def paired_ratio(step, ours, theirs, x, dout, reps, warmup):
    """(median seconds of ours, of theirs, median over reps of ours/theirs), interleaved.

    Each rep calls both modules once; the order alternates so that neither always runs second.
    """
    t_ours, t_theirs = [], []
    for i in range(warmup + reps):
        pair = [(ours, t_ours), (theirs, t_theirs)]
        for module, times in pair if i % 2 else pair[::-1]:
            seconds = step(module, x, dout)
            if i >= warmup:
                times.append(seconds)
    ratios = [a / b for a, b in zip(t_ours, t_theirs)]
    return statistics.median(t_ours), statistics.median(t_theirs), statistics.median(ratios)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--reps", type=int, default=200, help="timed reps (the 2-D case: 1/4)")
    parser.add_argument("--warmup", type=int, default=20)
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--clock", choices=sorted(CLOCKS), default="wall",
                        help="wall: elapsed time; cpu: this thread's CPU time")
    args = parser.parse_args()
    global clock
    clock = CLOCKS[args.clock]
    torch.set_num_threads(args.threads)
    print(f"float32, CPU, {torch.get_num_threads()} thread(s), torch {torch.__version__}; "
          f"median of interleaved reps, {args.clock} clock")
    print(f"{'module':<12} {'input':<17} {'mode':<14} {'ours (µs)':>10} {'torch (µs)':>11} "
          f"{'ratio':>6}")
    for name, ours_cls, torch_cls, shape in CASES:
        torch.manual_seed(0)
        x = torch.randn(shape, requires_grad=True)
        dout = torch.randn(shape)
        ours, theirs = ours_cls(shape[1]), torch_cls(shape[1])
        reps = args.reps if len(shape) == 2 else max(args.reps // 4, 5)
        for mode, step in (("train fwd+bwd", train_step), ("eval fwd", eval_step)):
            ours.train(mode != "eval fwd")
            theirs.train(mode != "eval fwd")
            t_ours, t_theirs, ratio = paired_ratio(step, ours, theirs, x, dout, reps, args.warmup)
            verdict = "" if mode != "train fwd+bwd" else ("  ok" if ratio <= TARGET else "  SLOW")
            print(f"{name:<12} {str(shape):<17} {mode:<14} {t_ours * 1e6:>10.0f} "
                  f"{t_theirs * 1e6:>11.0f} {ratio:>5.2f}x{verdict}")


if __name__ == "__main__":
    main()
