import random

import numpy as np
import pytest
import torch

from helpers.environment import seed_everything, seeded, setup, versions


def test_setup_returns_a_device_and_seeds_everything():
    device = setup(3)
    assert isinstance(device, torch.device)
    a = (random.random(), np.random.rand(), torch.rand(1).item())
    setup(3)
    assert a == (random.random(), np.random.rand(), torch.rand(1).item())


@pytest.mark.parametrize("bad", [-1, 1.5, "0", True])
def test_seed_must_be_a_non_negative_int(bad):
    with pytest.raises(ValueError, match="seed"):
        seed_everything(bad)


def test_versions_lists_the_main_packages():
    v = versions()
    assert {"python", "numpy", "torch", "matplotlib", "seaborn", "device"} <= set(v)


def test_setup_sets_cpu_threads():
    setup(0, theme=False, cpu_threads=1)
    assert torch.get_num_threads() == 1
    with pytest.raises(ValueError, match="cpu_threads"):
        setup(0, cpu_threads=0)


def test_seeded_blocks_repeat_and_leave_the_global_state_alone():
    torch.manual_seed(5)
    expected = torch.rand(2)
    torch.manual_seed(5)
    with seeded(3):
        a = torch.randn(4)
    with seeded(3):
        b = torch.randn(4)
    assert torch.equal(a, b)
    assert torch.equal(torch.rand(2), expected)
    with pytest.raises(ValueError, match="seed"):
        with seeded(-1):
            pass


def test_crisp_png_is_pixel_doubled_and_small():
    import base64
    import io

    import matplotlib.pyplot as plt
    from PIL import Image

    from helpers.environment import crisp_png

    fig, ax = plt.subplots(figsize=(4, 3), dpi=100)
    ax.plot([0, 1, 2], [0, 1, 4], label="line")
    ax.legend()
    data, metadata = crisp_png(fig)
    plain = io.BytesIO()
    fig.savefig(plain, format="png", bbox_inches="tight")
    plt.close(fig)
    image = Image.open(io.BytesIO(base64.b64decode(data)))
    assert image.mode == "P", "a 256-colour palette"
    assert image.width // 2 == metadata["width"] and image.height // 2 == metadata["height"]
    assert len(base64.b64decode(data)) < 1.5 * len(plain.getvalue()), "4x the pixels, ~same bytes"


def test_figures_are_described_by_their_titles():
    import matplotlib.pyplot as plt

    from helpers.environment import figure_description

    fig, axes = plt.subplots(1, 3)
    fig.suptitle("Three panels")
    axes[0].set_title("Training loss")
    axes[1].set(xlabel="training step", ylabel="accuracy")
    assert figure_description(fig) == \
        "Figure: Three panels; Training loss; accuracy against training step"
    plt.close(fig)
