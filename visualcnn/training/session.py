"""A training session: one network stepping through one dataset, one sample (or one
mini-batch) at a time.

The session is the engine side of the app and never imports Qt. It owns the order of the
samples (one epoch is a permutation of the training set drawn from the seed), the learning
rate, the batch size, the history the curves are drawn from, test evaluation and checkpoints.

    >>> session = Session(load_dataset("bundled"), Network.from_arch("conv8x3-pool2-dense10"))
    >>> trace = session.step()          # the next sample: forward, backward, update
    >>> session.batch = 8               # from the next step on, 8 samples a step
    >>> session.failure                 # a message once a step went infinite or NaN
    >>> session.divergence              # a Divergence when the step looks like a blow-up
"""

from __future__ import annotations

import math

import numpy as np

from visualcnn import ONE_BLAS_THREAD
from visualcnn.common.errors import ArchError, UserError
from visualcnn.common.i18n import tr
from visualcnn.nn import Network, StepTrace
from visualcnn.nn.network import MAX_BATCH, replay_step
from visualcnn.training.divergence import Divergence, DivergenceWatch
from visualcnn.training.history import History
from visualcnn.training.periodic_eval import PendingTest, periodic_choice
from visualcnn.training.periodic_eval import test_scores as _test_scores
from visualcnn.training.sample_feed import EpochFeed

LR_MIN, LR_MAX = 1e-5, 1.0
BATCH_MIN, BATCH_MAX = 1, MAX_BATCH


def checked_lr(lr: float) -> float:
    """``lr`` as a learning rate; UserError outside [LR_MIN, LR_MAX]."""
    lr = float(lr)
    if not (LR_MIN <= lr <= LR_MAX):
        raise UserError(tr("learning rate must be between {low:g} and {high:g}, got {lr:g}",
                           low=LR_MIN, high=LR_MAX, lr=lr))
    return lr


def checked_batch(size) -> int:
    """``size`` as a batch size; UserError outside 1 .. MAX_BATCH."""
    if isinstance(size, bool) or not isinstance(size, (int, np.integer)) \
            or not BATCH_MIN <= size <= BATCH_MAX:
        raise UserError(tr("batch size must be a whole number from {low} to {high}, got "
                           "{size!r}", low=BATCH_MIN, high=BATCH_MAX, size=size))
    return int(size)


# Vectors of at most this many entries (biases) are added up by math.hypot, not NumPy.
SHORT_VECTOR = 64


def joint_norm(arrays) -> float:
    """The L2 norm of several arrays taken together: one BLAS dot product an array (or, when
    OpenBLAS may have threads, one a block of a large one); a short vector's entries (a
    bias) go to ``math.hypot`` as they are, cheaper than NumPy's call."""
    # OpenBLAS with threads hands a dot product of over 10,000 entries (a dense layer's
    # 10 x 1352 weights) to a second thread: on a busy machine, waiting for it costs
    # milliseconds instead of microseconds. Blocks of at most 8192 stay on this thread.
    # ``vdot`` flattens without a copy, and unlike ``dot`` it does not warn of an overflow,
    # which a diverging run makes on purpose (the session reports it in words); neither
    # does ``hypot``, which cannot overflow for finite entries.
    squares = 0.0
    short = None
    for a in arrays:
        if a.ndim == 1 and a.size <= SHORT_VECTOR:
            short = a.tolist() if short is None else short + a.tolist()
        elif ONE_BLAS_THREAD or a.size <= 8192:
            squares += np.vdot(a, a)
        else:
            flat = a.reshape(-1)
            for i in range(0, flat.size, 8192):
                part = flat[i:i + 8192]
                squares += np.vdot(part, part)
    if short is None:
        return math.sqrt(squares)
    return math.hypot(math.sqrt(squares), *short)


class Session:
    """Trains ``net`` on ``dataset`` one sample (``batch`` samples) per ``step()``, in a
    seeded order.

    ``epoch`` (from 0) and ``index_in_epoch`` (samples done in it) give the position. A step
    takes the next ``batch`` samples of the epoch's order (the last step of an epoch takes
    what is left); ``batch`` may change between steps. ``batch_indices`` are the dataset
    indices of the last step's samples (a tuple, empty before any), ``sample_index`` the
    first of them (None before any).
    The test split is evaluated every ``eval_every`` steps and by ``evaluate_test()``.
    ``failure`` holds a one-line message from the first step that went infinite or NaN
    until ``reset()`` or ``open()``. ``divergence`` is the first sign of a blow-up that
    ``watch`` (training.divergence) saw in the last step, else None: the run loop pauses on it.
    """

    # The debugger (training.debugger) sees every step through ``step_hook`` and asks a run
    # to pause by setting ``pause_reason``, which the run loop reads after each step.
    step_hook = None
    pause_reason: str | None = None
    # Run sets it: a periodic test evaluation is left in ``pending_test`` for the run loop.
    defer_tests = False

    def __init__(self, dataset, net: Network, lr: float = 0.01, seed: int = 0,
                 eval_every: int = 500, batch: int = 1):
        self.dataset = dataset
        self._feed = EpochFeed()
        self.seed = int(seed)
        self.eval_every = int(eval_every)
        self.lr = checked_lr(lr)
        self.batch = batch
        self._check_fits(net)
        self.net = net
        self.watch = DivergenceWatch()
        self._restart_at(net.step)

    @property
    def batch(self) -> int:
        """Samples per step, 1 to MAX_BATCH: in effect from the next step."""
        return self._batch

    @batch.setter
    def batch(self, size: int) -> None:
        self._batch = checked_batch(size)

    # ------------------------------------------------------------------------ set-up
    def _check_fits(self, net: Network) -> None:
        if tuple(net.input_shape) != tuple(self.dataset.input_shape):
            raise ArchError(tr("architecture {arch!r} takes samples of shape {shape}, the data "
                               "has {data_shape}", arch=net.arch, shape=tuple(net.input_shape),
                               data_shape=self.dataset.input_shape))
        if net.classes != self.dataset.classes:
            raise ArchError(tr("architecture {arch!r} has {classes} classes, the data has "
                               "{data_classes}", arch=net.arch, classes=net.classes,
                               data_classes=self.dataset.classes))

    def _restart_at(self, step: int) -> None:
        """Position, history and failure as if this session had trained ``step`` steps."""
        n = len(self.dataset.y_train)
        self.epoch, self.index_in_epoch = divmod(int(step), n)
        self._order = self.epoch_order(self.epoch)
        self.sample_index: int | None = None
        self.batch_indices: tuple[int, ...] = ()
        self.last_trace: StepTrace | None = None
        self.failure: str | None = None
        self.divergence: Divergence | None = None
        self.watch.reset()
        self.last_step_finite = True  # the last step's loss, gradients and weights
        self._noted: tuple[StepTrace, str] | None = None
        self.test_predictions = None  # of the network that was evaluated, not of a new one
        self.fully_tested_at: int | None = None  # the step test_predictions belong to
        self.pending_test: PendingTest | None = None  # see training.periodic_eval
        # Where the curves' layers are in a trace's ``layers`` (in the network's order).
        self._param_positions = [i for i, layer in enumerate(self.net.layers) if layer.params]
        self.history = History([self.net.layers[i].name for i in self._param_positions])

    def epoch_order(self, epoch: int) -> np.ndarray:
        """The dataset indices of epoch ``epoch`` (from 0), in training order."""
        return np.random.default_rng((self.seed, epoch)).permutation(len(self.dataset.y_train))

    @property
    def train_size(self) -> int:
        return len(self.dataset.y_train)

    # ---------------------------------------------------------------------- stepping
    @property
    def next_sample_index(self) -> int:
        """Dataset index of the (first) sample the next step will train on."""
        if self.index_in_epoch == self.train_size:
            return int(self.epoch_order(self.epoch + 1)[0])
        return int(self._order[self.index_in_epoch])

    @property
    def next_batch_indices(self) -> tuple[int, ...]:
        """Dataset indices of the samples the next step will train on."""
        order, start = self._order, self.index_in_epoch
        if start == self.train_size:
            order, start = self.epoch_order(self.epoch + 1), 0
        return tuple(int(i) for i in order[start:start + self._batch])

    def batch_inputs(self, indices) -> tuple[np.ndarray, object]:
        """(x, y) of training samples ``indices`` as ``Network.train_step`` takes them: one
        index (an int or a sequence of one) gives one sample and an int label, more a batch."""
        if len(indices) == 1:
            index = int(indices[0])
            return self.dataset.x_train[index], int(self.dataset.y_train[index])
        chosen = np.asarray(indices, dtype=np.int64)
        return self.dataset.x_train[chosen], np.asarray(self.dataset.y_train[chosen])

    def preview(self) -> StepTrace:
        """Forward and backward on the next sample (batch) without an update or a move: what
        the network would do with it now (shown before the first step and after a reset)."""
        with np.errstate(all="ignore"):
            return self.net.forward_backward(*self.batch_inputs(self.next_batch_indices),
                                             self.lr)

    def set_lr(self, lr: float) -> None:
        """The learning rate of the next step on; raises UserError outside [1e-5, 1]."""
        self.lr = checked_lr(lr)

    def step(self) -> StepTrace:
        """Train on the next sample (the next ``batch`` samples) with the current learning
        rate and return its trace."""
        return self._train(None)

    def replay(self, index) -> StepTrace:
        """Train on training sample ``index`` (or the samples of a sequence of indices, a
        batch) again with the current weights: a real step, recorded in the history and seen
        by the step hook like any other, but the position in the epoch does not move.
        ``sample_index`` becomes ``index`` (the first of them)."""
        chosen = tuple(int(i) for i in np.asarray(index, dtype=np.int64).reshape(-1))
        checked_batch(len(chosen))
        return self._train(chosen)

    def _train(self, chosen: tuple[int, ...] | None) -> StepTrace:
        """One step on training samples ``chosen``, or on the next ones in the order (None)."""
        hook = self.step_hook
        before = hook.before_step(self) if hook is not None else None
        advance = chosen is None
        if advance:
            chosen, inputs = _next_samples(self)
        else:
            inputs = self.batch_inputs(chosen)
        index = chosen[0]
        # A diverging run overflows on purpose; the failure below reports it in words. The
        # step silences NumPy's warnings itself, and the curves' record works in Python floats
        # and BLAS dot products, which warn of nothing: a second errstate around both cost 2 us.
        trace = self.net.train_step(*inputs, self.lr)
        _record(self, trace)
        if advance:
            self.index_in_epoch += len(chosen)
        self.sample_index, self.batch_indices = index, chosen
        self.last_trace = trace
        if self.failure is None and not self.last_step_finite:
            self.note_failure(trace.step, trace.loss)
        if self.eval_every and trace.step % self.eval_every == 0:
            self.pending_test = PendingTest(self)
            if not self.defer_tests:
                self.pending_test.advance(self)  # all at once
        if hook is not None:
            # The hook gets the sample's index, or for a batch the tuple of them.
            hook.after_step(self, trace, index if len(chosen) == 1 else chosen, before)
        return trace

    def note_failure(self, step: int, loss: float) -> None:
        """``failure`` for step ``step``, which was not finite (its loss ``loss``)."""
        what = "loss" if not np.isfinite(loss) else "gradients or weights"
        self.failure = (f"the {what} became infinite or NaN at step {step} "
                        f"(learning rate {self.lr:g})")

    def seek(self, epoch: int, index_in_epoch: int, sample_index: int | None,
             replay=(), after=None) -> StepTrace | None:
        """Go back to a position the session had (the debugger's rewind), training on the way
        the steps of ``replay`` again, each ``(x, label, lr, note[, indices])`` (note None for
        samples of the training split, ``indices`` their dataset indices, () for others; a
        batch's x (B, C, H, W) and labels (B,)): recorded in the history, but seen by no
        hook, evaluated on no test image, and the position is the one given (``batch_indices``
        those of the last step replayed). ``after(trace)`` runs after each.
        Returns the last trace, None when ``replay`` is empty; it is the one shown now.
        Only the last step builds a full trace: the others give ``after`` and the history
        the StepNumbers of ``network.replay_step`` (the same weights, the same numbers)."""
        trace = None
        replay = list(replay)
        with np.errstate(all="ignore"):
            for i, (x, label, lr, note, *_indices) in enumerate(replay):
                if i < len(replay) - 1:
                    numbers = replay_step(self.net, x, label, lr)
                    _record(self, numbers)
                    if after is not None:
                        after(numbers)
                    continue
                trace = self.net.train_step(x, label, lr)
                _record(self, trace)
                if note is not None:
                    self._noted = (trace, note)
                if after is not None:
                    after(trace)
        if epoch != self.epoch:
            self._order = self.epoch_order(epoch)
        self.epoch, self.index_in_epoch, self.sample_index = epoch, index_in_epoch, sample_index
        # A drawn digit or a test image leaves the training samples shown as they were.
        shown = tuple(replay[-1][4]) if replay and len(replay[-1]) > 4 else ()
        self.batch_indices = shown or (() if sample_index is None else (sample_index,))
        self.last_trace = trace
        self.divergence = self.pause_reason = None
        # The test split was evaluated for other weights (a step later, or another branch).
        self.fully_tested_at = None
        return trace

    def evaluate_test(self, subset: bool = False) -> tuple[float, float]:
        """Accuracy and mean loss on the test split, recorded at the current step.

        ``subset``: at most PERIODIC_EVAL_SIZE test images, a fixed seeded choice. The
        periodic evaluation during training uses it, so that a large test split (full MNIST
        has 10,000 images, about 150 ms) does not stall a run; a pause evaluates it all.
        """
        X, y = self.dataset.x_test, self.dataset.y_test
        chosen = periodic_choice(len(y), self.seed) if subset else None
        full = chosen is None
        if not full:
            X, y = X[chosen], y[chosen]
        with np.errstate(all="ignore"):
            probs = self.net.predict(X)  # in chunks of the fastest size
        if full:
            return self.record_full_test(self.net.step, probs)
        accuracy, loss = _test_scores(probs, y)
        self.history.record_test(self.net.step, accuracy, loss)
        return accuracy, loss

    def record_full_test(self, step: int, probs: np.ndarray) -> tuple[float, float]:
        """Record ``probs`` (N, classes), the whole test split's class probabilities under the
        weights of ``step``, computed by the caller (the app evaluates in chunks between
        events); returns the accuracy and mean loss."""
        accuracy, loss = _test_scores(probs, self.dataset.y_test)
        self.history.record_test(step, accuracy, loss)
        # For the test-set views (confusion matrix, misclassified gallery); a new array on
        # every evaluation, so a view can tell by identity whether it is current.
        self.test_predictions = probs.argmax(axis=1)
        self.fully_tested_at = step
        return accuracy, loss

    # ------------------------------------------------------- samples from elsewhere
    # A drawn digit or a test image can be the current sample: ``note`` ("drawn digit,
    # target 3", "test #12") is what the input panel shows instead of a training index.
    def try_sample(self, x, label: int, note: str):
        """Forward and backward on ``x`` (C, H, W) with ``label``, no update (a dry run)."""
        with np.errstate(all="ignore"):
            trace = self.net.forward_backward(x, int(label), self.lr)
        self._noted = (trace, note)
        return trace

    def train_sample(self, x, label: int, note: str):
        """One training step on ``x`` with ``label``; recorded in the history and seen by
        the step hook like any step (so the debugger can rewind it), but the position in the
        epoch does not move."""
        hook = self.step_hook
        before = hook.before_step(self) if hook is not None else None
        with np.errstate(all="ignore"):
            trace = self.net.train_step(x, int(label), self.lr)
            _record(self, trace)
        self.last_trace = trace
        if self.failure is None and not self.last_step_finite:
            self.failure = (f"the loss, gradients or weights became infinite or NaN at step "
                            f"{trace.step} (learning rate {self.lr:g})")
        self._noted = (trace, note)
        if hook is not None:
            hook.after_step(self, trace, None, before)
        return trace

    def note_for(self, trace) -> str | None:
        """The note of ``trace`` when it came from ``try_sample``/``train_sample``."""
        noted = self._noted
        return noted[1] if noted is not None and noted[0] is trace else None

    def reset(self) -> None:
        """Fresh weights from the network's seed; step, position and history start over."""
        self.net.reset()
        self._restart_at(0)

    # ------------------------------------------------------------------- checkpoints
    def save(self, path) -> None:
        self.net.save(path, lr=self.lr)

    def open(self, path) -> None:
        """Continue from a checkpoint: its network, its learning rate when it stored one, and
        the position it would have reached in this session's order. Raises a UserError (and
        keeps the current network) for a bad file or one that does not fit the data; each
        message starts with ``path``."""
        net = Network.load(path)
        saved_lr = getattr(net, "saved_lr", None)
        try:
            self._check_fits(net)
            lr = checked_lr(saved_lr) if saved_lr is not None else self.lr
        except UserError as e:  # the same error, naming the file it came from
            raise type(e)(tr("{path}: the checkpoint's {error}", path=path, error=e)) from None
        self.net, self.lr = net, lr
        self._restart_at(net.step)


def _next_samples(session: Session) -> tuple[tuple[int, ...], tuple]:
    """The dataset indices of the next step's samples in the order (the next epoch's when
    this one is done) and its inputs as ``Network.train_step`` takes them."""
    if session.index_in_epoch == session.train_size:
        session.epoch += 1
        session.index_in_epoch = 0
        session._order = session.epoch_order(session.epoch)
    start, size = session.index_in_epoch, session.batch
    if size == 1:  # Run's steps: from a chunk of the order converted at once
        index, x, label = session._feed.sample(session.dataset, session.epoch, session._order,
                                               start)
        return (index,), (x, label)
    chosen = tuple(int(i) for i in session._order[start:start + size])
    return chosen, session.batch_inputs(chosen)


def _record(session: Session, trace) -> None:
    """Add step ``trace`` (a StepTrace or replay_step's StepNumbers) to the curves of
    ``session``, and note whether it stayed finite and whether it looks like divergence."""
    grad_norm, update_ratio = [], []
    # dL/d(input) is left out: it is W.T times finite gradients (a trace computes it only
    # when it is shown), so it overflows only where the norms below would.
    total = loss = trace.loss
    plain_sgd, lr = session.net.plain_sgd, trace.lr
    layers = trace.layers
    largest = 0.0  # update ratio, for the divergence watch
    for i in session._param_positions:
        lt = layers[i]
        grad = joint_norm(lt.grads.values())
        # Plain SGD's update is -lr x grad: its norm needs no pass of its own.
        update = lr * grad if plain_sgd else joint_norm(lt.updates.values())
        weight = joint_norm(lt.params.values())
        total += grad + update + weight
        grad_norm.append(grad)
        # Zero weights (a zero-initialised layer at step 1) have no ratio: NaN, not inf.
        ratio = update / weight if weight > 0 else math.nan
        update_ratio.append(ratio)
        if ratio > largest:
            largest = ratio
    # A norm is inf or NaN exactly when an entry is (or the squares overflow, which is as
    # good as divergence), so the curves' norms check the step for free: no second pass
    # over every array as StepTrace.is_finite would make.
    record_numbers(session, trace.step, loss, trace.accuracy, lr, grad_norm, update_ratio,
                   largest, math.isfinite(total))


def record_numbers(session: Session, step: int, loss: float, accuracy: float, lr: float,
                   grad_norm: list, update_ratio: list, largest: float, finite: bool) -> None:
    """The curves' point of step ``step`` from its numbers (``largest``: its largest update
    ratio), whether it stayed finite, and whether it looks like divergence: what ``_record``
    does once the norms are known, and Run's worker process sends (training.run_worker)."""
    session.last_step_finite = finite
    # A non-finite step is the failure's to report; the watch reads the levels before
    # this step is added to them.
    history, watch, classes = session.history, session.watch, session.net.classes
    session.divergence = None
    if finite and watch.could_fire(loss, largest, classes):
        session.divergence = watch.check(step, loss, grad_norm, update_ratio,
                                         history.layer_names, history.level_now(), classes, lr)
    # A batch's mean loss and its fraction predicted right (0 or 1 for one sample).
    history.record(step, loss, accuracy, grad_norm, update_ratio)
