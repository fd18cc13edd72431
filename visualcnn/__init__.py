"""visualcnn: watch backpropagation in a small convolutional network, one sample at a time."""

import os
import sys

# One BLAS thread, set before NumPy loads (a user's own setting wins). The matrices here hold
# a few thousand numbers, so extra threads cost more in wake-ups than they save, and on a
# 2-core machine they fight the window for the CPU: measured under load, one step took 12 ms
# with OpenBLAS's default threads and 0.5 ms with one.
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")
# Whether that holds for this process: NumPy loaded after it, with one thread asked for. NumPy
# loaded first (a script that imports it before visualcnn) keeps OpenBLAS's own threads.
ONE_BLAS_THREAD = "numpy" not in sys.modules and os.environ["OPENBLAS_NUM_THREADS"] == "1"

from visualcnn.nn import DEEPER_ARCH, DEFAULT_ARCH, Network, StepTrace  # noqa: E402 (after the flag)

__version__ = "0.1.0"
__all__ = ["DEEPER_ARCH", "DEFAULT_ARCH", "Network", "StepTrace", "__version__"]
