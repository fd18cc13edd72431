"""The numbers the curves are drawn from: per step loss, correctness, their moving averages and
per-layer gradient norms and update ratios, and the test evaluations."""

from __future__ import annotations

import numpy as np


class History:
    """Per-step numbers for the curves, in NumPy arrays that double in size when full.

    Per step: ``steps``, ``loss``, ``correct`` (1.0 or 0.0), their moving averages
    ``loss_avg`` and ``accuracy_avg``, and per parameter layer (``layer_names``) the gradient
    norm ``grad_norm[:, j]`` and the ratio ``update_ratio[:, j]`` = |update| / |weights|.
    Test evaluations go to ``test_steps``, ``test_accuracy`` and ``test_loss``. Read the
    filled part through the properties, which return views. ``level()`` is the recent level
    of the loss and of each gradient norm (what divergence is measured against).
    """

    def __init__(self, layer_names: list[str], window: int = 100, capacity: int = 1024):
        self.layer_names = list(layer_names)
        # An exponential average with weights summing to one from the first step on, so the
        # start of the curve is the plain mean of the steps so far rather than biased to zero.
        self._decay = 1.0 - 1.0 / window
        self._size = 0
        self._arrays = self._allocate(capacity)
        # Running sums of the moving averages: loss, correct, the weight total, then each
        # layer's gradient norm. A mark copies them all, so Step back rewinds the averages.
        self._sums = np.zeros(3 + len(self.layer_names))
        self._tests: list[tuple[int, float, float]] = []

    def _allocate(self, capacity: int) -> dict[str, np.ndarray]:
        layers = len(self.layer_names)
        return {
            "steps": np.zeros(capacity, dtype=np.int64),
            "loss": np.zeros(capacity),
            "correct": np.zeros(capacity),
            "loss_avg": np.zeros(capacity),
            "accuracy_avg": np.zeros(capacity),
            "grad_norm": np.zeros((capacity, layers)),
            "update_ratio": np.zeros((capacity, layers)),
        }

    def __len__(self) -> int:
        return self._size

    def record(self, step: int, loss: float, correct: bool, grad_norm, update_ratio) -> None:
        if self._size == len(self._arrays["steps"]):
            bigger = self._allocate(2 * self._size)
            for key, a in self._arrays.items():
                bigger[key][:self._size] = a
            self._arrays = bigger
        i, a = self._size, self._arrays
        self._sums *= self._decay
        self._sums[:3] += (loss, float(correct), 1.0)
        self._sums[3:] += grad_norm
        a["steps"][i] = step
        a["loss"][i] = loss
        a["correct"][i] = float(correct)
        a["loss_avg"][i] = self._sums[0] / self._sums[2]
        a["accuracy_avg"][i] = self._sums[1] / self._sums[2]
        a["grad_norm"][i] = grad_norm
        a["update_ratio"][i] = update_ratio
        self._size += 1

    def level(self) -> tuple[float, np.ndarray] | None:
        """The moving averages (over about ``window`` steps) of the loss and of each layer's
        gradient norm, up to the last step recorded; None before any step."""
        weight = self._sums[2]
        if weight == 0:
            return None
        return self._sums[0] / weight, self._sums[3:] / weight

    def mark(self) -> tuple[int, np.ndarray]:
        """What ``rewind`` needs to bring the history back to this point (Step back)."""
        return self._size, self._sums.copy()

    def rewind(self, mark: tuple[int, np.ndarray], step: int) -> None:
        """Forget what was recorded after ``mark``, and test results after ``step``."""
        self._size, sums = mark
        self._sums = sums.copy()
        self._tests = [t for t in self._tests if t[0] <= step]

    def record_test(self, step: int, accuracy: float, loss: float) -> None:
        if self._tests and self._tests[-1][0] == step:
            self._tests[-1] = (step, accuracy, loss)
        else:
            self._tests.append((step, accuracy, loss))

    def tested_at(self, step: int) -> bool:
        return bool(self._tests) and self._tests[-1][0] == step

    def _view(self, key: str) -> np.ndarray:
        return self._arrays[key][:self._size]

    steps = property(lambda self: self._view("steps"))
    loss = property(lambda self: self._view("loss"))
    correct = property(lambda self: self._view("correct"))
    loss_avg = property(lambda self: self._view("loss_avg"))
    accuracy_avg = property(lambda self: self._view("accuracy_avg"))
    grad_norm = property(lambda self: self._view("grad_norm"))
    update_ratio = property(lambda self: self._view("update_ratio"))

    @property
    def test_steps(self) -> np.ndarray:
        return np.array([t[0] for t in self._tests], dtype=np.int64)

    @property
    def test_accuracy(self) -> np.ndarray:
        return np.array([t[1] for t in self._tests])

    @property
    def test_loss(self) -> np.ndarray:
        return np.array([t[2] for t in self._tests])
