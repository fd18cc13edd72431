"""The engine stands alone: importing it pulls in neither Qt nor pyqtgraph."""

from __future__ import annotations

import subprocess
import sys

CHECK = """
import sys
import visualcnn, visualcnn.nn, visualcnn.data
import visualcnn.nn.reference, visualcnn.nn.gradcheck, visualcnn.bench.engine
net = visualcnn.Network.from_arch("conv8x3-pool2-dense10")
net.train_step([[[0.5] * 28] * 28], 3, 0.01)
loaded = sorted(m for m in sys.modules
                if m.split(".")[0] in ("PyQt6", "pyqtgraph", "PySide6", "PyQt5"))
print(",".join(loaded))
"""


def test_engine_imports_no_qt():
    done = subprocess.run([sys.executable, "-c", CHECK], capture_output=True, text=True,
                          timeout=60)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "", f"the engine imported {done.stdout.strip()}"
