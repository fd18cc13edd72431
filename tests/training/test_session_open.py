"""Session.open names the checkpoint in every refusal, and keeps the current network."""

import numpy as np
import pytest

from visualcnn.common.errors import UserError
from visualcnn.data.dataset import Dataset
from visualcnn.nn import Network
from visualcnn.training.session import Session


def tiny_dataset():
    rng = np.random.default_rng(1)
    return Dataset("random", rng.random((20, 1, 28, 28), dtype=np.float32),
                   rng.integers(0, 10, 20).astype(np.int64),
                   rng.random((5, 1, 28, 28), dtype=np.float32),
                   rng.integers(0, 10, 5).astype(np.int64))


@pytest.mark.parametrize("lr", [5.0, 1e-9])
def test_a_stored_learning_rate_out_of_range_names_the_checkpoint(tmp_path, lr):
    path = tmp_path / "fast.npz"
    Network.from_arch("conv8x3-pool2-dense10").save(path, lr=lr)
    session = Session(tiny_dataset(), Network.from_arch("conv8x3-pool2-dense10"))
    net = session.net
    with pytest.raises(UserError) as caught:
        session.open(path)
    message = str(caught.value)
    assert message.startswith(f"{path}: ") and "learning rate" in message
    assert session.net is net and session.lr == 0.01


def test_a_checkpoint_for_other_data_names_the_checkpoint(tmp_path):
    path = tmp_path / "colour.npz"
    Network.from_arch("conv4x3-pool2-dense10", input_shape=(3, 28, 28)).save(path)
    session = Session(tiny_dataset(), Network.from_arch("conv8x3-pool2-dense10"))
    with pytest.raises(UserError) as caught:
        session.open(path)
    assert str(caught.value).startswith(f"{path}: ")
