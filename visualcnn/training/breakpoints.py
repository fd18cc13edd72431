"""Conditions that pause a run, checked against each step's trace. Qt-free.

    >>> bp = Breakpoints(wrong_prediction=True, loss_above=2.0)
    >>> reason = bp.check(trace)    # None, or one line saying which condition fired

Two conditions concern the sample itself: ``sample_is`` (its index in the training split)
and ``prediction_changed`` (its prediction differs from the one it got the last time it was
trained on). A ``PredictionMemory`` remembers that last prediction per sample; the caller
records each step in it and passes the sample and the previous prediction to ``check``.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from visualcnn.common.i18n import tr
from visualcnn.nn.trace import StepTrace
from visualcnn.training.memory import grown_capacity, resident_zeros, write_rows


def layer_grad_norms(trace: StepTrace) -> dict[str, float]:
    """The L2 norm of each parameterised layer's gradients (all its tensors together)."""
    norms = {}
    for lt in trace.layers:
        if lt.grads:
            norms[lt.name] = float(np.sqrt(sum(float(np.sum(g * g)) for g in lt.grads.values())))
    return norms


@dataclass(frozen=True)
class Breakpoints:
    """Which conditions are on. ``None`` (or empty) means off.

    grad_norm_above / grad_norm_below: {layer name: threshold}. A non-finite loss, gradient
    or weight always fires, whatever is ticked.
    """

    wrong_prediction: bool = False
    loss_above: float | None = None
    label_is: int | None = None
    grad_norm_above: dict[str, float] = field(default_factory=dict)
    grad_norm_below: dict[str, float] = field(default_factory=dict)
    at_step: int | None = None
    sample_is: int | None = None
    prediction_changed: bool = False

    def __post_init__(self) -> None:
        # Asked after every step: worked out once (frozen, so it cannot go stale).
        object.__setattr__(self, "any_ticked", bool(
            self.wrong_prediction or self.loss_above is not None
            or self.label_is is not None or self.grad_norm_above or self.grad_norm_below
            or self.at_step is not None or self.sample_is is not None
            or self.prediction_changed))

    def check(self, trace: StepTrace, finite: bool | None = None,
              grad_norms: dict[str, float] | None = None, sample: int | None = None,
              previous_prediction: int | None = None) -> str | None:
        """The first condition that fires on ``trace``, as one line, or None.

        A caller that already knows whether the step stayed finite, or its layers' gradient
        norms (the session computes both for the curves), passes them to save a pass over
        every array. ``sample``: the step's index in the training split (None for a sample
        from elsewhere); ``previous_prediction``: what ``PredictionMemory.record`` returned
        for it (None the first time it is seen).

        A mini-batch passes the tuple of its indices and a list of previous predictions:
        a condition on a sample (its index, label, prediction or changed prediction) fires
        when any sample of the batch meets it, and the message names that sample; "loss
        above" compares the batch's mean loss."""
        where = trace.step
        if not (trace.is_finite() if finite is None else finite):
            return tr("non-finite value at step {step} (loss {loss:g}): lower the learning "
                      "rate", step=where, loss=trace.loss)
        if self.at_step is not None and trace.step == self.at_step:
            return tr("reached step {step}", step=self.at_step)
        if trace.batch > 1 and trace.predictions is not None:
            return self._check_batch(trace, where, sample, previous_prediction, grad_norms)
        if self.sample_is is not None and sample is not None and sample == self.sample_is:
            return tr("sample #{index} at step {step}", index=sample, step=where)
        if (self.prediction_changed and previous_prediction is not None
                and previous_prediction != trace.prediction):
            return tr("prediction of sample #{index} changed from {before} to {after} at "
                      "step {step}", index=sample, before=previous_prediction,
                      after=trace.prediction, step=where)
        if self.wrong_prediction and trace.prediction != trace.label:
            return tr("wrong prediction at step {step}: predicted {prediction}, label {label}",
                      step=where, prediction=trace.prediction, label=trace.label)
        if self.loss_above is not None and trace.loss > self.loss_above:
            return tr("loss {loss:.4g} above {limit:g} at step {step}", loss=trace.loss,
                      limit=self.loss_above, step=where)
        if self.label_is is not None and trace.label == self.label_is:
            return tr("sample with label {label} at step {step}", label=self.label_is,
                      step=where)
        return self._check_norms(trace, where, grad_norms)

    def _check_batch(self, trace: StepTrace, where: int, samples, previous,
                     grad_norms) -> str | None:
        """``check``'s conditions on a batch of ``trace.batch`` samples (see there)."""
        b = trace.batch
        samples = tuple(samples) if samples is not None else (None,) * b
        previous = list(previous) if isinstance(previous, (list, tuple)) else [None] * b
        labels, predictions = trace.labels.tolist(), trace.predictions.tolist()

        def name(i: int) -> str:
            index = samples[i]
            if index is None:
                return tr("sample {position} of the batch of {size}", position=i + 1, size=b)
            return tr("sample #{index}, {position} of the batch of {size}", index=index,
                      position=i + 1, size=b)

        if self.sample_is is not None and self.sample_is in samples:
            return tr("{sample} at step {step}", sample=name(samples.index(self.sample_is)),
                      step=where)
        if self.prediction_changed:
            for i, before in enumerate(previous):
                if before is not None and before != predictions[i]:
                    return tr("prediction of {sample} changed from {before} to {after} at "
                              "step {step}", sample=name(i), before=before,
                              after=predictions[i], step=where)
        if self.wrong_prediction:
            wrong = [i for i in range(b) if predictions[i] != labels[i]]
            if wrong:
                i = wrong[0]
                return tr("wrong prediction at step {step}: {wrong} of the batch of {size} "
                          "wrong, the first {sample}: predicted {prediction}, label {label}",
                          step=where, wrong=len(wrong), size=b, sample=name(i),
                          prediction=predictions[i], label=labels[i])
        if self.loss_above is not None and trace.loss > self.loss_above:
            return tr("batch mean loss {loss:.4g} above {limit:g} at step {step}",
                      loss=trace.loss, limit=self.loss_above, step=where)
        if self.label_is is not None and self.label_is in labels:
            return tr("{sample} has label {label} at step {step}",
                      sample=name(labels.index(self.label_is)), label=self.label_is,
                      step=where)
        return self._check_norms(trace, where, grad_norms)

    def _check_norms(self, trace: StepTrace, where: int, grad_norms) -> str | None:
        if self.grad_norm_above or self.grad_norm_below:
            norms = layer_grad_norms(trace) if grad_norms is None else grad_norms
            for name, limit in self.grad_norm_above.items():
                if name in norms and norms[name] > limit:
                    return tr("{layer} gradient norm {norm:.3g} above {limit:g} at step {step}",
                              layer=name, norm=norms[name], limit=limit, step=where)
            for name, limit in self.grad_norm_below.items():
                if name in norms and norms[name] < limit:
                    return tr("{layer} gradient norm {norm:.3g} below {limit:g} at step {step}",
                              layer=name, norm=norms[name], limit=limit, step=where)
        return None


# Log entries of the newest steps kept as tuples before they are written into the arrays.
PENDING_ENTRIES = 64


class PredictionMemory:
    """The last prediction of every training sample, one small integer each (-1: not seen
    yet), so that a run over all of MNIST's 60,000 costs 60 KB. Starts over for another
    dataset.

    Each recorded step also logs what it changed (8 bytes a sample it trained on: a batch
    logs each of its samples), so that going back to a step of the run (``go_to``) puts every
    sample's last prediction back as it stood after that step, and going forward again along
    the same steps puts the later ones back.
    """

    def __init__(self):
        self.dataset = None
        self.last: np.ndarray | None = None
        # Called when the bytes held change (an array replaced): the rewind keeps its budget
        # counting them at once, not at its next snapshot.
        self.on_resize = None
        self._new_log(0)

    def _new_log(self, capacity: int) -> None:
        # Resident: the rewind's budget counts the whole capacity (see resident_zeros).
        self._steps = resident_zeros(capacity, np.int64)
        self._samples = resident_zeros(capacity, np.int32)
        self._before = resident_zeros(capacity, np.int16)
        self._after = resident_zeros(capacity, np.int16)
        self._size = 0  # entries logged (the arrays' and the pending ones)
        self._applied = 0  # of them, the first ones, whose change ``last`` holds
        # The newest entries, logged at the head of the run, as tuples: written into the
        # arrays PENDING_ENTRIES at a time, or before anything reads them. Four NumPy item
        # writes a step cost more than the list and one block write.
        self._pending: list[tuple[int, int, int, int]] = []
        self._last_step = -1  # the step of the last entry applied (-1: none)
        self._count_bytes()

    def _count_bytes(self) -> None:
        # Asked after every step (the rewind's budget): counted when an array is replaced.
        last = 0 if self.last is None else self.last.nbytes
        self._nbytes = last + sum(a.nbytes for a in (self._steps, self._samples,
                                                     self._before, self._after))
        if self.on_resize is not None:
            self.on_resize()

    def nbytes(self) -> int:
        """Bytes held: the per-sample memory and the change log."""
        return self._nbytes

    def new_run(self) -> None:
        """A new run starts (a reset, a checkpoint opened): its steps cannot go back to the
        old run's, so the change log starts empty; the predictions seen are kept."""
        self._new_log(0)

    def record(self, dataset, index: int | None, prediction: int,
               step: int | None = None) -> int | None:
        """Remember ``prediction`` for training sample ``index`` of ``dataset``; return the
        one it had before (None the first time, or for a sample from elsewhere). ``step``,
        the step that made it, logs the change for ``go_to``."""
        if index is None:
            return None
        last = self.last
        if dataset is not self.dataset or last is None:
            size = len(dataset.y_train)
            dtype = np.int8 if dataset.classes <= np.iinfo(np.int8).max else np.int16
            self.dataset, self.last = dataset, np.full(size, -1, dtype=dtype)
            self._new_log(0)
            last = self.last
        previous = int(last[index])
        last[index] = prediction
        if step is not None:
            if self._applied == self._size and step >= self._last_step:
                # At the head of the run (nothing logged ahead), in the same run: pending.
                pending = self._pending
                pending.append((step, index, previous, prediction))
                self._size = self._applied = self._size + 1
                self._last_step = step
                if len(pending) == PENDING_ENTRIES:
                    self._write_pending()
            else:
                self._log(int(step), int(index), previous, int(prediction))
        return None if previous < 0 else previous

    def record_run(self, dataset, steps, indices, predictions) -> None:
        """``record`` for each of Run's steps, given as columns (a value a step), each on one
        training sample, in order: a block write when they come at the head of the run and
        no sample comes twice."""
        if (dataset is not self.dataset or self.last is None or self._applied != self._size
                or steps[0] < self._last_step or len(set(indices)) < len(indices)):
            for step, index, prediction in zip(steps, indices, predictions, strict=True):
                self.record(dataset, index, prediction, step)
            return
        self._write_pending()
        samples = np.array(indices, dtype=np.int64)
        previous = self.last[samples]
        self.last[samples] = predictions
        start, end = self._size, self._size + len(samples)
        if end > len(self._steps):
            self._grow(end)
        for column, values in ((self._steps, steps), (self._samples, samples),
                               (self._before, previous), (self._after, predictions)):
            column[start:end] = values
        self._size = self._applied = end
        self._last_step = steps[-1]

    def _write_pending(self) -> None:
        """The pending entries into the arrays (grown as the step log grows)."""
        pending = self._pending
        if not pending:
            return
        if self._size > len(self._steps):
            self._grow(self._size)
        write_rows((self._steps, self._samples, self._before, self._after),
                   self._size - len(pending), pending, np.int64)
        pending.clear()

    def _grow(self, needed: int) -> None:
        stored = self._size - len(self._pending)
        grown = grown_capacity(stored, needed)  # as the step log grows
        for name in ("_steps", "_samples", "_before", "_after"):
            old = getattr(self, name)
            bigger = resident_zeros(grown, old.dtype)
            bigger[:stored] = old[:stored]
            setattr(self, name, bigger)
        self._count_bytes()

    def _log(self, step: int, index: int, previous: int, prediction: int) -> None:
        self._write_pending()
        i = self._applied
        if (i < self._size and self._steps[i] == step and self._samples[i] == index
                and self._after[i] == prediction):
            self._applied += 1  # the logged step trained again: later ones stay reachable
            return
        # Steps gone back over are forgotten once another step is trained in their place.
        self._size = self._applied
        # (A batch logs each of its samples under the same step, one after another.)
        if self._size and self._steps[self._size - 1] > step:
            self._new_log(0)  # the step count went back without go_to: another run
        if self._size == len(self._steps):
            self._grow(self._size + 1)
        i = self._size
        self._steps[i], self._samples[i] = step, index
        self._before[i], self._after[i] = previous, prediction
        self._size = self._applied = i + 1
        self._last_step = step

    def forget_before(self, step: int) -> None:
        """Forget the changes of the steps up to ``step``, which the run can no longer go
        back to (the rewind's oldest steps gone to keep its budget)."""
        self._write_pending()
        drop = min(self._applied, int(np.searchsorted(self._steps[:self._size], step,
                                                      side="right")))
        if drop == 0:
            return
        left = self._size - drop
        for name in ("_steps", "_samples", "_before", "_after"):
            old = getattr(self, name)
            smaller = resident_zeros(left + max(1024, left // 4), old.dtype)
            smaller[:left] = old[drop:self._size]
            setattr(self, name, smaller)
        self._size, self._applied = left, self._applied - drop
        self._count_bytes()

    def go_to(self, step: int) -> None:
        """Every sample's last prediction as it stood after step ``step``: the changes of
        later steps undone, those of logged steps up to ``step`` done again."""
        if self.last is None:
            return
        self._write_pending()
        cut = int(np.searchsorted(self._steps[:self._size], step, side="right"))
        if cut < self._applied:  # undo: each sample gets what it had before its first change
            samples = self._samples[cut:self._applied]
            changed, first = np.unique(samples, return_index=True)
            self.last[changed] = self._before[cut:self._applied][first]
        elif cut > self._applied:  # redo: each sample gets what its last change gave it
            samples = self._samples[self._applied:cut][::-1]
            changed, last = np.unique(samples, return_index=True)
            self.last[changed] = self._after[self._applied:cut][::-1][last]
        self._applied = cut
        self._last_step = int(self._steps[cut - 1]) if cut else -1
