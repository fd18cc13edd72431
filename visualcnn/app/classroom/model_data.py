"""Model and data chosen in the app: an architecture from the presets or typed (checked on
every keystroke), and a dataset opened from a file dialog.

``ModelData(window)`` adds the "Model and data" dock to the column of tabs and the dataset
actions to the File menu. The new network (and dataset) are built first; only when that
worked does the window move to a new Session, so a bad string or a bad file leaves the
current model running.
"""

from __future__ import annotations

from pathlib import Path

from PyQt6.QtCore import QObject, Qt, pyqtSignal
from PyQt6.QtGui import QGuiApplication
from PyQt6.QtWidgets import (
    QComboBox,
    QDockWidget,
    QFileDialog,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from visualcnn.app.classroom.training_controls import TrainingControls, network_settings
from visualcnn.app.docks import scrolled
from visualcnn.app.views.class_names import is_numbered, short
from visualcnn.common import i18n
from visualcnn.common.errors import UserError
from visualcnn.common.i18n import ntr, tr
from visualcnn.data import idx_folder_of, load_dataset
from visualcnn.data.bundled import BUNDLED_NAME
from visualcnn.data.classes import CLASSES_FILE, GIVEN
from visualcnn.nn import Network
from visualcnn.nn.arch import (
    PRESETS,
    arch_for_classes,
    canonical_arch,
    parameter_count,
    parse_arch,
    unread_note,
)
from visualcnn.training.session import Session

DATASET_PATTERNS = "*.npz *.csv *.csv.gz *ubyte* *.idx *.gz *.bin batches.meta.txt"


def dataset_filter() -> str:
    """The file dialog's filter, its names in the window's language."""
    return tr("Datasets ({patterns});;All files (*)", patterns=DATASET_PATTERNS)


def dataset_spec(picked: str) -> str:
    """What ``load_dataset`` should open for a file picked in the dialog: the folder for one
    of the four IDX files (the same rule as ``--data``), else the file itself."""
    folder = idx_folder_of(picked)
    return picked if folder is None else str(folder)


def describe_classes(dataset) -> str:
    """The dataset's classes for the dock: their names and where the names came from."""
    names = dataset.class_names
    if is_numbered(names):
        if dataset.name == BUNDLED_NAME:
            return tr("Classes: {first}-{last}, by number", first=names[0], last=names[-1])
        return tr("Classes: {first}-{last}, by number (a {file} beside the data, one name per "
                  "line, would name them)", first=names[0], last=names[-1], file=CLASSES_FILE)
    source = dataset.classes_from
    listed = ", ".join(short(name, 24) for name in names)
    if source == GIVEN:
        return tr("Classes: {names} (given on the command line)", names=listed)
    if source and Path(source).is_file():
        return tr("Classes: {names} (from {file})", names=listed, file=source)
    if source:
        return tr("Classes: {names} ({source})", names=listed, source=source)
    return tr("Classes: {names}", names=listed)


def describe(specs) -> str:
    """A summary of parsed layers: their count and parameters, then a line per layer that
    leaves input rows or columns unread (a stride or pool that does not tile its input)."""
    kinds = [sp.kind for sp in specs if sp.kind != "flatten"]
    summary = ntr("valid: {n} layer, {parameters:,} parameters",
                  "valid: {n} layers, {parameters:,} parameters", len(kinds),
                  parameters=parameter_count(specs))
    return "\n".join([summary, *unread_note(specs)])


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
        self.presets.addItem(tr("(typed)"), "")
        for name, arch in PRESETS.items():
            self.presets.addItem(f"{i18n.lookup(name)}: {arch}", arch)
        self.presets.setToolTip(tr("Architectures to start from"))
        # Long preset strings must not widen the dock column: the combo elides them.
        self.presets.setSizeAdjustPolicy(
            QComboBox.SizeAdjustPolicy.AdjustToMinimumContentsLengthWithIcon)
        self.presets.setMinimumContentsLength(14)
        self.arch_field = QLineEdit()
        self.arch_field.setPlaceholderText(tr("e.g. {example}",
                                              example="conv8x3-relu-pool2-dense10"))
        self.arch_field.setToolTip(tr("Tokens joined by '-': conv<F>x<K>, relu, pool<K>, "
                                      "dense<N>; the last is dense<classes>"))
        self.message = QLabel()
        self.message.setWordWrap(True)
        self.apply_button = QPushButton(tr("Apply (new network)"))
        self.apply_button.setToolTip(tr("Build this network for the current data; training "
                                        "starts over at step 0"))
        self.dataset_label = QLabel()
        self.dataset_label.setWordWrap(True)
        self.classes_label = QLabel()
        self.classes_label.setWordWrap(True)
        self.open_button = QPushButton(tr("Open dataset..."))
        self.open_button.setToolTip(open_action.toolTip())
        self.open_button.clicked.connect(open_action.trigger)
        self.bundled_button = QPushButton(tr("Bundled"))
        self.bundled_button.setToolTip(bundled_action.toolTip())
        self.bundled_button.clicked.connect(bundled_action.trigger)

        form = QFormLayout()
        form.addRow(tr("Preset"), self.presets)
        form.addRow(tr("Architecture"), self.arch_field)
        form.addRow("", self.message)
        self.training = TrainingControls(form)  # initialiser, optimiser, their settings
        buttons = QHBoxLayout()
        buttons.addWidget(self.open_button)
        buttons.addWidget(self.bundled_button)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(4, 4, 4, 4)
        layout.addLayout(form)
        layout.addWidget(self.apply_button)
        layout.addSpacing(8)
        layout.addWidget(QLabel(tr("<b>Data</b>")))
        layout.addWidget(self.dataset_label)
        layout.addWidget(self.classes_label)
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
        text = tr("{name}: {train:,} training and {test:,} test images, {c}x{h}x{w}, "
                  "{classes} classes", name=i18n.lookup(ds.name), train=len(ds.y_train),
                  test=len(ds.y_test), c=c, h=h, w=w, classes=ds.classes)
        self.dataset_label.setText(text + (tr("; {note}", note=ds.note) if ds.note else ""))
        self.classes_label.setText(describe_classes(ds))
        self.classes_label.setToolTip("\n".join(f"{c}: {name}"
                                                for c, name in enumerate(ds.class_names)))
        self.arch_field.setText(session.net.arch)
        self.training.show_network(session.net)
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


class ModelData(QObject):
    """The model-and-data feature of ``window``: the dock (``panel`` in ``dock``), the File
    menu entries (inserted before ``file_at``), and the moves to a new network or dataset.

    ``session_swapped(session)`` is emitted once the window shows a session built here.
    """

    session_swapped = pyqtSignal(object)

    def __init__(self, window, file_at=None, parent=None):
        super().__init__(parent)
        self.window = window
        a = window.actions
        self.panel = ModelDataPanel(a["open_dataset"], a["bundled_dataset"])
        self.dock = QDockWidget(tr("Model and data"), window)
        self.dock.setObjectName("dock_model")
        self.dock.setWidget(scrolled(self.panel))
        window.add_side_dock(self.dock)
        file_menu = window.menu("File")
        if file_menu is not None:
            file_menu.insertSeparator(file_at)
            file_menu.insertActions(file_at, [a["open_dataset"], a["open_dataset_folder"],
                                              a["bundled_dataset"]])
        a["open_dataset"].triggered.connect(self.ask_open_dataset)
        a["open_dataset_folder"].triggered.connect(self.ask_open_folder)
        a["bundled_dataset"].triggered.connect(lambda: self.open_dataset("bundled"))
        self.panel.apply_requested.connect(self.apply_arch)
        self.panel.show_session(window.session)

    def swap_session(self, session: Session) -> None:
        """Show ``session`` from now on (its network and data already built)."""
        self.window.set_session(session)
        # The panels name the classes of the session's data, even panels kept from before.
        for view in self.window.panels:
            if hasattr(view, "set_class_names"):
                view.set_class_names(session.dataset.class_names)
        self.panel.show_session(session)
        self.session_swapped.emit(session)

    def _new_session(self, dataset, arch: str, training: dict | None = None) -> Session | None:
        """A session of a new network ``arch`` on ``dataset``, built with ``training`` (the
        keywords of Network: initialiser, optimiser; None: the current network's)."""
        from visualcnn.app.rewind_budget import check_history_budget

        old = self.window.session
        try:
            # Refused before any array exists when the rewind history cannot hold two steps.
            training = training or network_settings(old.net)
            check_history_budget(arch, dataset.input_shape, dataset.classes,
                                 store=self.window.settings, optimizer=training["optimizer"])
            net = Network.from_arch(arch, dataset.input_shape, dataset.classes,
                                    seed=old.net.seed, **training)
            return Session(dataset, net, lr=old.lr, seed=old.seed, eval_every=old.eval_every,
                           batch=old.batch)
        except UserError as e:
            self.window.show_banner(tr("Could not build the network, the current model is "
                                       "kept: {error}", error=e))
            return None

    def apply_arch(self, arch: str) -> bool:
        """A new network ``arch`` on the current data; False (and a message) if it fails."""
        session = self._new_session(self.window.session.dataset, arch,
                                    self.panel.training.settings())
        if session is None:
            return False
        self.swap_session(session)
        net = session.net
        self.window.statusBar().showMessage(
            tr("new network {arch} ({optimizer}, init {init})", arch=net.arch,
               optimizer=net.optimizer_text(), init=net.init), 5000)
        return True

    def ask_open_dataset(self) -> None:
        path, _ = QFileDialog.getOpenFileName(
            self.window, tr("Open dataset: a .npz, a .csv, or any file of an IDX folder"), "",
            dataset_filter())
        if path:
            self.open_dataset(dataset_spec(path))

    def ask_open_folder(self) -> None:
        path = QFileDialog.getExistingDirectory(
            self.window, tr("Open dataset folder: CIFAR-10 binary, train/ and test/ image "
                            "folders, or IDX files"))
        if path:
            self.open_dataset(path)

    def open_dataset(self, spec: str) -> bool:
        """Load ``spec`` (as ``load_dataset``) and rebuild the network for it; on an error say
        so in the window and keep the current model."""
        w = self.window
        w.loop.stop()
        QGuiApplication.setOverrideCursor(Qt.CursorShape.WaitCursor)
        try:
            dataset = load_dataset(spec)
        except UserError as e:
            w.show_banner(tr("Could not open the dataset, the current model is kept: {error}",
                             error=e))
            return False
        finally:
            QGuiApplication.restoreOverrideCursor()
        session = self._new_session(dataset, arch_for_classes(w.session.net.arch,
                                                              dataset.classes))
        if session is None:
            return False
        self.swap_session(session)
        name = i18n.lookup(dataset.name)
        message = (tr("opened {name} ({note})", name=name, note=dataset.note)
                   if dataset.note else tr("opened {name}", name=name))
        w.statusBar().showMessage(message, 8000)
        return True
