"""visualcnn: watch backpropagation in a small convolutional network, one sample at a time."""

from visualcnn.nn import DEEPER_ARCH, DEFAULT_ARCH, Network, StepTrace

__version__ = "0.1.0"
__all__ = ["DEEPER_ARCH", "DEFAULT_ARCH", "Network", "StepTrace", "__version__"]
