"""train(): one call for the course's small experiments, returning a recorded History.

    from helpers.training import train
    hist = train(net, steps=2000, batch_size=60, lr=0.5, seed=SEED)
    hist.steps_to_accuracy(0.9), hist.final_test_accuracy, hist.pre_percentiles[:, -1]

What is recorded (with helpers.measurements; read by helpers.plots):
- every step: the training loss;
- every ``eval_every`` steps (and at the end): test loss and accuracy, and accuracy on a fixed
  subset of the training set;
- every ``record_every`` steps, for each hidden layer l, the distribution of the layer's
  pre-activation input (the tensor entering its sigmoid/tanh/ReLU) on a fixed probe batch:
  mean and std over all units, the 15/50/85th percentiles of one chosen unit and of all units
  pooled, every unit's median, the fraction of saturated units (sigmoid/tanh); and, on that
  step's mini-batch, the gradient norm of every weight matrix and the error reaching every
  Linear layer (``layer_errors``: ‖∂ℓ/∂z‖ per example, RMS over the batch).
A run whose loss becomes NaN or infinite stops; the History says ``diverged`` and at which step.

Taught in notebook 00.
"""

from __future__ import annotations

import sys
import time

import numpy as np
import torch
from torch import nn

from helpers.data import load_mnist
from helpers.environment import seeded
from helpers.history import History
from helpers.measurements import layer_errors, layer_inputs, layer_stats
from helpers.models import activation_name, hidden_activations, linear_layers


def train(model: nn.Module, data=None, *, steps: int = 1000, batch_size: int = 60,
          lr: float = 0.1, optimizer: str = "sgd", momentum: float = 0.0,
          weight_decay: float = 0.0, eval_every: int = 50, record_every: int | None = None,
          record_unit: int = 0, probe_size: int = 1000, seed: int = 0, device=None,
          progress: bool | None = None, label: str = "", batches=None) -> History:
    """Train ``model`` with mini-batch SGD (or Adam) and cross-entropy; return its History.

    model: any nn.Module mapping (N, D) -> (N, classes); make_mlp's models are recorded per layer.
    data: (x_train, y_train, x_test, y_test) as numpy arrays or tensors. The default, None,
        means the course's MNIST digits: load_mnist("train") and load_mnist("test").
    steps, batch_size, lr: number of updates, mini-batch size, learning rate.
    optimizer: "sgd" (with ``momentum``) or "adam". weight_decay: L2 penalty.
    eval_every / record_every: evaluate / record layer statistics every so many steps
        (record_every defaults to eval_every); both also happen at step 0.
    record_unit: which unit of each hidden layer gets its own percentiles.
    probe_size: how many test images form the fixed probe batch for layer statistics.
    seed: seeds the mini-batch order and torch's random numbers during training (dropout), in
        a generator of its own: the global random state is the same afterwards as before.
    progress: a tqdm bar; None shows it unless the environment variable TQDM_DISABLE is set
        (the tests and `make execute` set it), True or False to choose.
    batches: None draws shuffled mini-batches of ``batch_size``; or an iterable of index tensors
        (or arrays), one mini-batch of training-set indices per step, e.g. batches of a single
        class (notebook 06); ``batch_size`` is then unused. It must last for ``steps`` batches.
    """
    _check_train_args(steps, batch_size, lr, eval_every, record_every, probe_size, optimizer)
    device = torch.device(device) if device is not None else next(model.parameters()).device
    xtr, ytr, xte, yte = _as_tensors(data, device)
    if batches is None:
        batches = _batches(len(xtr), batch_size, seed, device)
    else:
        batches = _given_batches(batches, len(xtr), device)
    opt = _make_optimizer(model, optimizer, lr, momentum, weight_decay)
    rec = _Recorder(model, xte[:probe_size], record_unit)
    hist = History(label=label, layer_names=rec.names, activations=rec.kinds, unit=record_unit)
    probe = (xtr[:probe_size], ytr[:probe_size], xte, yte)
    start = time.perf_counter()
    model.to(device).train()
    with seeded(seed):
        losses, evals = _loop(model, opt, rec, hist, xtr, ytr, batches, probe, steps,
                              eval_every, record_every or eval_every, progress, label)
    hist.steps_done, hist.train_loss = len(losses), np.array(losses)
    _fill_evals(hist, evals)
    rec.fill(hist)
    hist.seconds = time.perf_counter() - start
    return hist


def _loop(model, opt, rec, hist, xtr, ytr, batches, probe, steps, eval_every, record_every,
          progress, label):
    """The training loop: evaluate, step, record; stop at the first non-finite loss."""
    losses, evals = [], []
    for step in _progress(range(steps), progress, label):
        if step % eval_every == 0:
            evals.append(_evaluate(model, step, *probe))
        idx = next(batches)
        loss = nn.functional.cross_entropy(model(xtr[idx]), ytr[idx])
        if not torch.isfinite(loss):
            hist.diverged, hist.diverged_at = True, step
            break
        opt.zero_grad()
        loss.backward()
        if step % record_every == 0:
            rec.record(step, xtr[idx], ytr[idx])
        opt.step()
        losses.append(loss.item())
    if not hist.diverged:
        evals.append(_evaluate(model, steps, *probe))
    return losses, evals


class _Recorder:
    """Collects per-layer input statistics, errors (helpers.measurements) and gradient norms."""

    def __init__(self, model: nn.Module, probe: torch.Tensor, unit: int):
        self.model, self.probe, self.unit = model, probe, unit
        acts = hidden_activations(model)
        self.names = [name for name, _ in acts]
        self.kinds = [activation_name(m) for _, m in acts]
        self.modules = [m for _, m in acts]
        self.linears = linear_layers(model)
        self.weights = [layer.weight for layer in self.linears]
        self.rows: list[dict] = []

    def record(self, step: int, x: torch.Tensor, y: torch.Tensor) -> None:
        grads = [float(w.grad.norm()) if w.grad is not None else float("nan")
                 for w in self.weights]
        inputs = self._layer_inputs()
        self.rows.append({"step": step, "grad": grads, "error": self._errors(step, x, y),
                          "layers": [layer_stats(z, k, self.unit)
                                     for z, k in zip(inputs, self.kinds)]})

    def _errors(self, step: int, x: torch.Tensor, y: torch.Tensor) -> np.ndarray:
        """layer_errors on the step's mini-batch; buffers and random state left as they were."""
        saved = [b.detach().clone() for b in self.model.buffers()]
        try:
            with seeded(step):  # dropout draws its own numbers; the training's are untouched
                return layer_errors(self.model, x, y, modules=self.linears)
        finally:
            with torch.no_grad():
                for b, s in zip(self.model.buffers(), saved):
                    b.copy_(s)

    def _layer_inputs(self) -> list[torch.Tensor]:
        """Forward the probe with batch statistics, no dropout, and no change to any buffer."""
        saved = [b.detach().clone() for b in self.model.buffers()]
        try:
            with torch.no_grad():
                for m in self.model.modules():
                    if isinstance(m, nn.Dropout):
                        m.eval()
                return layer_inputs(self.model, self.probe, self.modules)
        finally:
            with torch.no_grad():
                for b, s in zip(self.model.buffers(), saved):
                    b.copy_(s)
            self.model.train()

    def fill(self, hist: History) -> None:
        hist.record_steps = np.array([r["step"] for r in self.rows], dtype=int)
        n_layers = len(self.names)
        hist.grad_norm = np.array([r["grad"] for r in self.rows]).reshape(-1, len(self.weights))
        hist.error_norm = np.array([r["error"] for r in self.rows]).reshape(-1, len(self.weights))

        def stack(key):
            return np.array([[r["layers"][i][key] for i in range(n_layers)] for r in self.rows])

        if not self.rows or not n_layers:
            return
        hist.pre_mean, hist.pre_std, hist.saturated = stack("mean"), stack("std"), stack("sat")
        hist.pre_percentiles, hist.unit_percentiles = stack("pct"), stack("unit_pct")
        hist.unit_medians = [np.array([r["layers"][i]["medians"] for r in self.rows])
                             for i in range(n_layers)]


@torch.no_grad()
def _evaluate(model, step, xtr, ytr, xte, yte) -> tuple[int, float, float, float]:
    model.eval()
    logits = model(xte)
    test_loss = float(nn.functional.cross_entropy(logits, yte))
    test_acc = float((logits.argmax(1) == yte).float().mean())
    train_acc = float((model(xtr).argmax(1) == ytr).float().mean())
    model.train()
    return step, test_loss, test_acc, train_acc


def _fill_evals(hist: History, evals) -> None:
    cols = list(zip(*evals)) if evals else [(), (), (), ()]
    hist.eval_steps = np.array(cols[0], dtype=int)
    hist.test_loss, hist.test_accuracy, hist.train_accuracy = (np.array(c) for c in cols[1:])


def _batches(n: int, batch_size: int, seed: int, device):
    """Endless mini-batch indices: a fresh seeded permutation each epoch, last partial dropped."""
    gen = torch.Generator().manual_seed(seed)
    while True:
        perm = torch.randperm(n, generator=gen).to(device)
        for i in range(0, n - batch_size + 1, batch_size):
            yield perm[i:i + batch_size]


def _given_batches(batches, n: int, device):
    """The caller's mini-batches as index tensors on ``device``, checked one by one."""
    count = 0
    for idx in batches:
        idx = torch.as_tensor(idx).to(device)
        if idx.ndim != 1 or len(idx) == 0 or idx.dtype not in (torch.int64, torch.int32):
            raise ValueError(f"train: each of batches must be a non-empty 1-D tensor of integer "
                             f"indices, got dtype {idx.dtype} and shape {tuple(idx.shape)}")
        if int(idx.min()) < 0 or int(idx.max()) >= n:
            raise ValueError(f"train: batch {count} has indices outside 0..{n - 1}, the "
                             f"training set's {n} examples")
        count += 1
        yield idx.long()
    raise ValueError(f"train: batches ran out after {count} mini-batches; give at least `steps`")


def _make_optimizer(model, name, lr, momentum, weight_decay):
    if name == "sgd":
        return SGD(model.parameters(), lr=lr, momentum=momentum, weight_decay=weight_decay)
    return torch.optim.Adam(model.parameters(), lr=lr, weight_decay=weight_decay)


class SGD:
    """The update torch.optim.SGD makes (no dampening, no Nesterov), written out:

        g ← ∇W + weight_decay · W;   v ← g at the first step, then momentum · v + g;
        W ← W − lr · v

    Building a torch.optim optimizer imports PyTorch's compiler (about 2 s per process, once),
    and every step then passes through its hooks (about 10 % of a small network's step); the
    course trains small networks for many steps. tests/test_training.py checks, on the CPU,
    that every weight ends bit for bit where torch.optim.SGD puts it, with and without momentum
    and weight decay.
    """

    def __init__(self, params, lr: float, momentum: float = 0.0, weight_decay: float = 0.0):
        self.params = list(params)
        self.lr, self.momentum, self.weight_decay = lr, momentum, weight_decay
        self.velocity: list[torch.Tensor | None] = [None] * len(self.params)

    def zero_grad(self) -> None:
        """Forget every gradient (set it to None, as torch.optim does by default)."""
        for p in self.params:
            p.grad = None

    @torch.no_grad()
    def step(self) -> None:
        for i, p in enumerate(self.params):
            if p.grad is None:  # a parameter the loss does not reach: left as it is
                continue
            g = p.grad.add(p, alpha=self.weight_decay) if self.weight_decay else p.grad
            if self.momentum:
                if self.velocity[i] is None:
                    self.velocity[i] = g.detach().clone()
                else:
                    self.velocity[i].mul_(self.momentum).add_(g)
                g = self.velocity[i]
            p.add_(g, alpha=-self.lr)


def _as_tensors(data, device):
    if data is None:
        data = (*load_mnist("train"), *load_mnist("test"))
    if not isinstance(data, (tuple, list)) or len(data) != 4:
        raise ValueError("train: data must be a tuple (x_train, y_train, x_test, y_test)")
    xtr, ytr, xte, yte = (torch.as_tensor(np.asarray(a) if not torch.is_tensor(a) else a)
                          for a in data)
    for name, x, y in (("train", xtr, ytr), ("test", xte, yte)):
        if x.ndim != 2 or y.ndim != 1 or len(x) != len(y):
            raise ValueError(f"train: {name} data must be x of shape (N, D) and y of shape (N,), "
                             f"got {tuple(x.shape)} and {tuple(y.shape)}")
    return (xtr.float().to(device), ytr.long().to(device),
            xte.float().to(device), yte.long().to(device))


def _check_train_args(steps, batch_size, lr, eval_every, record_every, probe_size, optimizer):
    for name, value in (("steps", steps), ("batch_size", batch_size), ("eval_every", eval_every),
                        ("probe_size", probe_size)):
        if not isinstance(value, (int, np.integer)) or value < 1:
            raise ValueError(f"train: {name} must be a positive integer, got {value!r}")
    if record_every is not None and (not isinstance(record_every, int) or record_every < 1):
        raise ValueError(f"train: record_every must be a positive integer, got {record_every!r}")
    if not lr > 0:
        raise ValueError(f"train: lr must be positive, got {lr}")
    if optimizer not in ("sgd", "adam"):
        raise ValueError(f"train: optimizer must be 'sgd' or 'adam', got {optimizer!r}")


def _progress(iterable, enabled: bool | None, label: str):
    """A tqdm bar (a widget where ipywidgets is installed, as in Colab; text elsewhere).

    enabled None leaves the choice to tqdm, which reads the environment variable TQDM_DISABLE.
    """
    try:
        import ipywidgets  # noqa: F401  (tqdm's notebook bar needs it; without it, a text bar)
        from tqdm.auto import tqdm
    except ImportError:
        from tqdm import tqdm
    options = {} if enabled is None else {"disable": not enabled}
    return tqdm(iterable, desc=label or "training", file=sys.stdout, mininterval=0.5,
                leave=True, dynamic_ncols=True, **options)
