"""A lesson's setup made real: the data, the network and the Session it trains."""

from __future__ import annotations

from visualcnn.common.errors import UserError
from visualcnn.common.i18n import tr
from visualcnn.data import load_dataset
from visualcnn.nn import Network
from visualcnn.nn.arch import arch_for_classes
from visualcnn.training.session import Session


def network_keywords(setup) -> dict:
    """``setup``'s initialiser and optimiser as keywords of Network."""
    return {"init": setup.init, "optimizer": setup.optimizer,
            "weight_decay": setup.weight_decay}


def build_session(setup, dataset=None, where="lesson") -> Session:
    """A fresh Session of ``setup`` on ``dataset`` (loaded from ``setup.data`` when None).
    The last dense layer takes the data's number of classes, as the app's presets do.
    A failure is a UserError naming ``where`` (the lesson file)."""
    try:
        if dataset is None:
            dataset = load_dataset(setup.data)
        net = Network.from_arch(arch_for_classes(setup.arch, dataset.classes),
                                input_shape=dataset.input_shape, classes=dataset.classes,
                                seed=setup.seed, **network_keywords(setup))
        return Session(dataset, net, lr=setup.lr, seed=setup.seed)
    except UserError as e:
        raise UserError(tr("{where}: cannot build the lesson's setup: {error}", where=where,
                           error=e)) from None
