"""Model and data chosen in the app: an architecture from the presets or typed (checked on
every keystroke), and a dataset opened from a file dialog.

The new network (and dataset) are built first; only when that worked does the window move to
a new Session, so a bad string or a bad file leaves the current model running.
"""

from __future__ import annotations

import re
from pathlib import Path

from PyQt6.QtCore import pyqtSignal
from PyQt6.QtWidgets import (
    QComboBox,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from visualcnn.nn.arch import PRESETS, canonical_arch, parse_arch

CUSTOM = "(typed)"
DATASET_FILTER = ("Datasets (*.npz *.csv *.csv.gz *ubyte* *.idx *.gz);;"
                  "All files (*)")


def dataset_spec(picked: str) -> str:
    """What ``load_dataset`` should open for a file picked in the dialog: the file itself for
    a .npz or .csv(.gz), else the folder holding it (IDX files come as a folder of four)."""
    name = Path(picked).name.lower()
    if Path(picked).is_dir() or name.endswith((".npz", ".csv", ".csv.gz")):
        return picked
    return str(Path(picked).parent)


def arch_for_classes(arch: str, classes: int) -> str:
    """``arch`` with its last dense layer resized to ``classes`` units (one per class)."""
    return re.sub(r"dense[0-9]+$", f"dense{classes}", canonical_arch(arch))


def describe(specs) -> str:
    """A one-line summary of parsed layers: their count, parameters and output shape."""
    params = sum(sp.filters * (sp.shape_in[0] * sp.kernel ** 2 + 1) if sp.kind == "conv" else
                 sp.units * (sp.shape_in[0] + 1) if sp.kind == "dense" else 0 for sp in specs)
    kinds = [sp.kind for sp in specs if sp.kind != "flatten"]
    return f"valid: {len(kinds)} layers, {params:,} parameters"


class ModelDataPanel(QWidget):
    """Preset combo and architecture field (error in red under it, Apply disabled while the
    string is invalid for the current data), and the dataset with its open buttons.

    ``apply_requested(arch)`` is emitted by Apply with a valid string.
    """

    apply_requested = pyqtSignal(str)

    def __init__(self, open_action, bundled_action, parent=None):
        super().__init__(parent)
        self.input_shape, self.classes = (1, 28, 28), 10
        self.presets = QComboBox()
        self.presets.addItem(CUSTOM, "")
        for name, arch in PRESETS.items():
            self.presets.addItem(f"{name}: {arch}", arch)
        self.presets.setToolTip("Architectures to start from")
        # Long preset strings must not widen the dock column: the combo elides them.
        self.presets.setSizeAdjustPolicy(
            QComboBox.SizeAdjustPolicy.AdjustToMinimumContentsLengthWithIcon)
        self.presets.setMinimumContentsLength(14)
        self.arch_field = QLineEdit()
        self.arch_field.setPlaceholderText("e.g. conv8x3-relu-pool2-dense10")
        self.arch_field.setToolTip("Tokens joined by '-': conv<F>x<K>, relu, pool<K>, "
                                   "dense<N>; the last is dense<classes>")
        self.message = QLabel()
        self.message.setWordWrap(True)
        self.apply_button = QPushButton("Apply (new network)")
        self.apply_button.setToolTip("Build this network for the current data; training "
                                     "starts over at step 0")
        self.dataset_label = QLabel()
        self.dataset_label.setWordWrap(True)
        self.open_button = QPushButton("Open dataset...")
        self.open_button.setToolTip(open_action.toolTip())
        self.open_button.clicked.connect(open_action.trigger)
        self.bundled_button = QPushButton("Bundled")
        self.bundled_button.setToolTip(bundled_action.toolTip())
        self.bundled_button.clicked.connect(bundled_action.trigger)

        form = QFormLayout()
        form.addRow("Preset", self.presets)
        form.addRow("Architecture", self.arch_field)
        form.addRow("", self.message)
        buttons = QHBoxLayout()
        buttons.addWidget(self.open_button)
        buttons.addWidget(self.bundled_button)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(4, 4, 4, 4)
        layout.addLayout(form)
        layout.addWidget(self.apply_button)
        layout.addSpacing(8)
        layout.addWidget(QLabel("<b>Data</b>"))
        layout.addWidget(self.dataset_label)
        layout.addLayout(buttons)
        layout.addStretch(1)

        self.presets.currentIndexChanged.connect(self._on_preset)
        self.arch_field.textChanged.connect(self.validate)
        self.apply_button.clicked.connect(self._on_apply)

    def show_session(self, session) -> None:
        """Follow the window's session: its data's shape and classes, its architecture."""
        ds = session.dataset
        self.input_shape, self.classes = ds.input_shape, ds.classes
        c, h, w = ds.input_shape
        self.dataset_label.setText(f"{ds.name}: {len(ds.y_train):,} training and "
                                   f"{len(ds.y_test):,} test images, {c}x{h}x{w}, "
                                   f"{ds.classes} classes")
        self.arch_field.setText(session.net.arch)
        self.validate()

    def _on_preset(self, index: int) -> None:
        arch = self.presets.itemData(index)
        if arch:
            self.arch_field.setText(arch_for_classes(arch, self.classes))

    def validate(self) -> bool:
        """Check the field against the current data; say why not in red."""
        text = self.arch_field.text()
        match = self.presets.findData(canonical_arch(text)) if text.strip() else -1
        self.presets.blockSignals(True)
        self.presets.setCurrentIndex(max(0, match))  # the preset typed, else "(typed)"
        self.presets.blockSignals(False)
        try:
            specs = parse_arch(canonical_arch(text), self.input_shape, self.classes)
        except ValueError as e:  # ArchError, and anything odd the parser rejects
            self.message.setText(str(e))
            self.message.setStyleSheet("color: #c62828;")
            self.apply_button.setEnabled(False)
            return False
        self.message.setText(describe(specs))
        self.message.setStyleSheet("color: #2e7d32;")
        self.apply_button.setEnabled(True)
        return True

    def _on_apply(self) -> None:
        if self.validate():
            self.apply_requested.emit(canonical_arch(self.arch_field.text()))
