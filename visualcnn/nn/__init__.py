"""The NumPy engine: layers, network, traces, gradient check, checkpoints. Never imports Qt."""

from visualcnn.nn.arch import DEEPER_ARCH, DEFAULT_ARCH, PRESETS, parse_arch
from visualcnn.nn.network import Network
from visualcnn.nn.trace import LayerTrace, StepTrace

__all__ = ["DEEPER_ARCH", "DEFAULT_ARCH", "PRESETS", "LayerTrace", "Network", "StepTrace",
           "parse_arch"]
