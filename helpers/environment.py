"""One call at the top of every notebook: seeds, plot theme, quiet warnings, the device.

    from helpers.environment import setup
    device = setup(SEED)

Taught in notebook 00.
"""

from __future__ import annotations

import io
import os
import platform
import random
import warnings
from contextlib import contextmanager

import numpy as np
import torch

THEME = {"style": "whitegrid", "context": "notebook", "palette": "colorblind"}


def seed_everything(seed: int) -> None:
    """Seed Python's ``random``, numpy's global generator and torch (CPU and CUDA)."""
    _check_seed(seed)
    random.seed(int(seed))
    np.random.seed(int(seed) % 2**32)
    torch.manual_seed(int(seed))  # also seeds every CUDA device


@contextmanager
def seeded(seed: int):
    """A block that draws from torch's generators seeded with ``seed``, then restores them.

        with seeded(3):
            w = torch.randn(5)      # the same 5 numbers for seed 3, every time
        torch.randn(1)              # unaffected: the global state is as before the block

    How ``make_mlp(seed=...)`` and ``train(seed=...)`` use their own random numbers without
    changing what a learner's next ``torch.randn`` returns; ``setup(SEED)`` is the one place that
    seeds the global generators. Wraps ``torch.random.fork_rng`` (CPU and every CUDA device).
    """
    _check_seed(seed)
    devices = list(range(torch.cuda.device_count())) if torch.cuda.is_available() else []
    with torch.random.fork_rng(devices=devices):
        torch.manual_seed(int(seed))
        yield


def get_device() -> torch.device:
    """CUDA when a GPU is present (Colab), else the CPU. Nothing in the course requires a GPU."""
    return torch.device("cuda" if torch.cuda.is_available() else "cpu")


def apply_theme() -> None:
    """The course's one seaborn/matplotlib look: white grid, colour-blind palette, tidy figures."""
    import matplotlib as mpl
    import seaborn as sns

    sns.set_theme(**THEME)
    mpl.rcParams.update({"figure.figsize": (7.0, 4.0), "figure.dpi": 100,
                         "axes.titleweight": "bold", "legend.frameon": False})
    crisp_figures()


def crisp_png(fig) -> tuple[str, dict] | None:
    """A figure as a pixel-doubled PNG (sharp on a high-density screen) with a 256-colour palette.

    IPython's "retina" format draws at twice the resolution and shows the image at its normal
    size; the palette (Pillow's quantize, no dithering) keeps the file about a third the size
    of the plain 100-dpi PNG, so notebooks stay small. The metadata also carries ``alt``, the
    figure described by its titles (or its axis labels), which the course's website uses as the
    image's alternative text. Returns IPython's (base64 PNG, metadata), or None for an empty
    figure.
    """
    from binascii import b2a_base64

    from IPython.core.pylabtools import retina_figure
    from PIL import Image

    out = retina_figure(fig)
    if out is None:
        return None
    png, metadata = out
    image = Image.open(io.BytesIO(png)).convert("RGB")
    image = image.quantize(colors=256, method=Image.Quantize.FASTOCTREE,
                           dither=Image.Dither.NONE)
    buffer = io.BytesIO()
    image.save(buffer, format="png", optimize=True)
    metadata["alt"] = figure_description(fig)
    return b2a_base64(buffer.getvalue(), newline=False).decode("ascii"), metadata


def figure_description(fig) -> str:
    """A figure in words, for a screen reader: its title and its panels' titles, else their axes.

    >>> fig, ax = plt.subplots(); ax.set(title="Training loss", xlabel="step", ylabel="loss")
    >>> figure_description(fig)
    'Figure: Training loss'
    """
    suptitle = fig.get_suptitle() if hasattr(fig, "get_suptitle") else ""
    titles = [suptitle] if suptitle else []
    for ax in fig.axes:
        panel = " ".join(t for t in (ax.get_title(loc) for loc in ("left", "center", "right"))
                         if t)
        if not panel and (ax.get_xlabel() or ax.get_ylabel()):
            panel = f"{ax.get_ylabel() or 'values'} against {ax.get_xlabel() or 'index'}"
        if panel and panel not in titles:
            titles.append(panel)
    return "Figure: " + "; ".join(titles) if titles else "Figure"


def crisp_figures() -> None:
    """In Jupyter, show every matplotlib figure through ``crisp_png``; elsewhere do nothing."""
    try:
        from IPython import get_ipython
        from matplotlib.figure import Figure
    except ImportError:
        return
    shell = get_ipython()
    if shell is None or not hasattr(shell, "display_formatter"):
        return
    try:  # the inline backend sets its own formatter when first loaded: load it first
        import matplotlib_inline.backend_inline  # noqa: F401
    except ImportError:
        pass
    shell.display_formatter.formatters["image/png"].for_type(Figure, crisp_png)


def quiet_warnings() -> None:
    """Silence known harmless warnings so notebook outputs show only what matters."""
    for pattern in (".*TypedStorage is deprecated.*",
                    ".*Glyph .* missing from.*", ".*is_categorical_dtype.*",
                    ".*use_inf_as_na.*", ".*Jupyter is migrating its paths.*"):
        warnings.filterwarnings("ignore", message=pattern)
    warnings.filterwarnings("ignore", category=FutureWarning, module="seaborn")


def setup(seed: int = 0, theme: bool = True, quiet: bool = True,
          cpu_threads: int | None = 1) -> torch.device:
    """Seed everything, apply the plot theme, quiet noisy warnings; return the device.

    seed: non-negative int, the notebook's SEED parameter. This is the one place that seeds the
        global generators (Python's, numpy's and torch's); helpers that take a ``seed`` use
        their own (see ``seeded``).
    cpu_threads: threads torch may use on the CPU. The course's networks are small: one thread
        is as fast as several and, unlike several, is not slowed down many times over when other
        programs share the cores (measured: 1,000 steps took 3 s on 1 thread, 50 s on 2 threads
        of a busy 2-core machine). None keeps torch's default.
    Returns torch.device("cuda") when a GPU is present, else torch.device("cpu").
    """
    seed_everything(seed)
    if cpu_threads is not None:
        if not isinstance(cpu_threads, int) or cpu_threads < 1:
            raise ValueError(f"setup: cpu_threads must be a positive integer or None, "
                             f"got {cpu_threads!r}")
        torch.set_num_threads(cpu_threads)
    if theme:
        apply_theme()
    if quiet:
        quiet_warnings()
    return get_device()


def versions() -> dict[str, str]:
    """Versions of Python and of the course's main packages, for the environment check."""
    import matplotlib
    import seaborn

    return {"python": platform.python_version(), "numpy": np.__version__,
            "torch": torch.__version__, "matplotlib": matplotlib.__version__,
            "seaborn": seaborn.__version__,
            "device": str(get_device()), "cpu threads": str(torch.get_num_threads()),
            "in CI": str(bool(os.environ.get("CI")))}


def _check_seed(seed) -> None:
    if isinstance(seed, bool) or not isinstance(seed, (int, np.integer)) or seed < 0:
        raise ValueError(f"seed must be a non-negative integer, got {seed!r}")
