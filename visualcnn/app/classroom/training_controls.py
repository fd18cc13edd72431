"""How a new network starts and learns, chosen in the "Model and data" dock: initialiser,
optimiser, momentum and weight decay. Apply builds the network with them (a new run, as a new
architecture is); until then they only wait in the dock."""

from __future__ import annotations

from PyQt6.QtCore import Qt
from PyQt6.QtWidgets import QComboBox, QDoubleSpinBox, QFormLayout

from visualcnn.common import i18n
from visualcnn.common.i18n import tr
from visualcnn.nn.init import DEFAULT_INIT, INIT_HELP, INITIALISERS
from visualcnn.nn.optimizers import (
    DEFAULT_MOMENTUM,
    MAX_WEIGHT_DECAY,
    OPTIMIZER_HELP,
    OPTIMIZERS,
)


def shown_name(name: str) -> str:
    """An initialiser's or optimiser's name as the combo shows it: the words translated, the
    proper names (he, xavier, sgd, adam) as they are."""
    words = {"uniform": tr("uniform"), "constant": tr("constant"), "zeros": tr("zeros"),
             "momentum": tr("momentum")}
    return words.get(name, name)


class TrainingControls:
    """The four controls, added as rows of ``form``; ``settings()`` gives them as the
    keywords of ``Network``, ``show_network(net)`` shows a network's own."""

    def __init__(self, form: QFormLayout):
        self.init = QComboBox()
        for name in INITIALISERS:
            self.init.addItem(shown_name(name), name)
            self.init.setItemData(self.init.count() - 1, i18n.lookup(INIT_HELP[name]),
                                  role=Qt.ItemDataRole.ToolTipRole)
        self.init.setToolTip(tr("The weights a new network starts from (Apply)"))
        self.optimizer = QComboBox()
        for name in OPTIMIZERS:
            self.optimizer.addItem(shown_name(name), name)
            self.optimizer.setItemData(self.optimizer.count() - 1,
                                       i18n.lookup(OPTIMIZER_HELP[name]),
                                       role=Qt.ItemDataRole.ToolTipRole)
        self.optimizer.setToolTip(tr("How each gradient becomes a change of the weights "
                                     "(Apply); g = dL/dW + weight decay x W"))
        self.momentum = QDoubleSpinBox(minimum=0.0, maximum=0.99, singleStep=0.05,
                                       decimals=2, value=DEFAULT_MOMENTUM)
        self.momentum.setToolTip(tr("SGD momentum: v = momentum·v − lr·g (optimiser "
                                    "momentum)"))
        self.weight_decay = QDoubleSpinBox(minimum=0.0, maximum=MAX_WEIGHT_DECAY,
                                           singleStep=1e-4, decimals=5, value=0.0)
        self.weight_decay.setToolTip(tr("L2 weight decay added to every gradient as "
                                        "decay × weight, as PyTorch's weight_decay"))
        form.addRow(tr("Initialiser"), self.init)
        form.addRow(tr("Optimiser"), self.optimizer)
        form.addRow(tr("Momentum"), self.momentum)
        form.addRow(tr("Weight decay"), self.weight_decay)
        self.optimizer.currentIndexChanged.connect(self._enable_momentum)
        self._enable_momentum()

    def _enable_momentum(self) -> None:
        self.momentum.setEnabled(self.optimizer.currentData() == "momentum")

    def settings(self) -> dict:
        """The chosen settings, as keywords of ``Network``."""
        optimizer = self.optimizer.currentData()
        return {"init": self.init.currentData() or DEFAULT_INIT, "optimizer": optimizer,
                "momentum": self.momentum.value() if optimizer == "momentum" else 0.0,
                "weight_decay": self.weight_decay.value()}

    def show_network(self, net) -> None:
        """Show how ``net`` was built (its initialiser and optimiser)."""
        self.init.setCurrentIndex(max(0, self.init.findData(net.init)))
        self.optimizer.setCurrentIndex(max(0, self.optimizer.findData(net.optimizer)))
        if net.optimizer == "momentum":
            self.momentum.setValue(net.momentum)
        self.weight_decay.setValue(net.weight_decay)


def network_settings(net) -> dict:
    """``net``'s initialiser and optimiser as keywords of ``Network``: a new network for new
    data keeps them, as it keeps the architecture."""
    return {"init": net.init, "optimizer": net.optimizer, "momentum": net.momentum,
            "weight_decay": net.weight_decay}

