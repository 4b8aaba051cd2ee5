import random

import numpy as np
import pytest
import torch

from helpers.environment import seed_everything, setup, versions


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
