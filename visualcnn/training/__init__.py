"""Training without a window: the session that steps a network through a dataset, its
history, the debugger (phases, rewind, replay, dry run) and breakpoints. Never imports Qt."""

from visualcnn.training.breakpoints import Breakpoints
from visualcnn.training.debugger import Debugger
from visualcnn.training.session import LR_MAX, LR_MIN, History, Session

__all__ = ["LR_MAX", "LR_MIN", "Breakpoints", "Debugger", "History", "Session"]
