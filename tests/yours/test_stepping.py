"""A network stepping with a student's own layers: their results flow on, each call is compared
with the engine's on the same input, and the network gets its own layers back."""

import textwrap

import numpy as np
import pytest

from visualcnn.nn import DEEPER_ARCH, DEFAULT_ARCH, Network
from visualcnn.yours.sandbox import LoadError
from visualcnn.yours.stepping import YourLayers
from visualcnn.yours.template import examples_folder

EXAMPLES = examples_folder()


def samples(count, seed=0, ink=0.3):
    rng = np.random.default_rng(seed)
    # Pixels of 0 and 1 like a digit's; on blank patches a convolution's output is its bias
    # throughout, which ties every pooling window there.
    return [((rng.random((1, 28, 28)) < ink).astype(np.float64), int(rng.integers(10)))
            for _ in range(count)]


@pytest.fixture
def yours_of(tmp_path):
    opened = []

    def open_(path_or_text):
        path = path_or_text
        if "\n" in str(path_or_text):
            path = tmp_path / "my_layers.py"
            path.write_text(textwrap.dedent(path_or_text))
        opened.append(YourLayers(path))
        return opened[-1]

    yield open_
    for y in opened:
        y.close()


def test_correct_layers_step_exactly_as_the_engine(yours_of):
    mine, engine = Network.from_arch(DEEPER_ARCH, seed=1), Network.from_arch(DEEPER_ARCH, seed=1)
    yours = yours_of(EXAMPLES / "correct_loops.py")
    yours.attach(mine)
    for x, y in samples(3):
        a, b = mine.train_step(x, y, 0.05), engine.train_step(x, y, 0.05)
        assert a.loss == pytest.approx(b.loss, rel=1e-12)
        assert yours.disagreement() is None
    # Every replaced layer's forward and backward, and the loss, were theirs and compared.
    assert [(c.layer, c.function) for c in yours.comparisons][:3] == [
        ("conv1", "conv_forward"), ("relu1", "relu_forward"), ("pool1", "maxpool_forward")]
    assert len(yours.comparisons) == 2 * 7 + 1
    for la, lb in zip(mine.layers, engine.layers, strict=True):
        for k in la.params:
            np.testing.assert_allclose(la.params[k], lb.params[k], rtol=1e-10, atol=1e-14)


def test_their_mistake_flows_on_and_the_first_difference_is_found(yours_of):
    mine = Network.from_arch(DEFAULT_ARCH, seed=1)
    engine = Network.from_arch(DEFAULT_ARCH, seed=1)
    yours = yours_of(EXAMPLES / "pool_ties.py")
    yours.attach(mine)
    differed = []
    for x, y in samples(4, ink=0.05):
        trace = mine.train_step(x, y, 0.05)
        theirs = engine.train_step(x, y, 0.05)
        if (worst := yours.disagreement()) is not None:
            differed.append((worst, trace, theirs))
    assert differed, "no tie on a blank patch made a difference"
    worst, trace, theirs = differed[0]
    assert worst.function == "maxpool_backward" and worst.layer.startswith("pool")
    assert worst.output == "dx" and worst.failure is None and worst.max_rel_error > 1e-6
    diff = worst.difference("dx")
    assert diff.shape == worst.engine["dx"].shape
    assert diff[worst.index] != 0
    # What the step recorded as that layer's dL/d(input) is theirs, not the engine's.
    np.testing.assert_array_equal(trace.layer(worst.layer).dx, worst.yours["dx"])
    # And it flowed on: the convolution's gradient came from it. (Its weights do not move
    # differently here: the windows tie on blank patches, where the input is zero.)
    assert not np.allclose(trace.layer("conv1").dx, theirs.layer("conv1").dx)


def test_functions_not_written_or_failing_leave_the_engine_in_place(yours_of):
    yours = yours_of("""\
        import numpy as np


        def conv_forward(x, W, b):
            raise NotImplementedError


        def dense_forward(x, W, b):
            return np.ones(3)  # the wrong shape


        def softmax_cross_entropy(logits, y):
            raise ValueError("not today")
        """)
    mine, engine = Network.from_arch(DEFAULT_ARCH, seed=2), Network.from_arch(DEFAULT_ARCH, seed=2)
    yours.attach(mine)
    for x, y in samples(2):
        a, b = mine.train_step(x, y, 0.05), engine.train_step(x, y, 0.05)
        assert a.loss == b.loss
    failures = {c.function: c.failure for c in yours.comparisons}
    assert set(failures) == {"dense_forward", "softmax_cross_entropy"}
    assert "dense_forward returned out of shape (3,), expected (1, 10)" in failures[
        "dense_forward"]
    assert "ValueError: not today" in failures["softmax_cross_entropy"]
    assert yours.disagreement().function == "dense_forward"


def test_detach_gives_the_network_its_own_layers_back(yours_of):
    net = Network.from_arch(DEFAULT_ARCH, seed=0)
    own = list(net.layers)
    yours = yours_of(EXAMPLES / "flipped_kernel.py")
    yours.attach(net)
    assert net.layers != own
    yours.detach()
    assert net.layers == own and "loss_function" not in vars(net)
    x, y = samples(1)[0]
    net.train_step(x, y, 0.05)
    assert yours.comparisons == []


def test_a_saved_file_is_reloaded_and_a_broken_one_keeps_the_old_code(yours_of, tmp_path):
    yours = yours_of("""\
        def relu_forward(x):
            return x
        """)
    net = Network.from_arch("conv8x3-relu-pool2-dense10", seed=0)
    yours.attach(net)
    x, y = samples(1)[0]
    net.forward_backward(x, y)
    assert yours.disagreement().function == "relu_forward"
    path = tmp_path / "my_layers.py"
    path.write_text("import numpy as np\n\ndef relu_forward(x):\n    return np.maximum(x, 0)\n")
    yours.reload()
    net.forward_backward(x, y)
    assert yours.disagreement() is None and yours.comparisons
    path.write_text("def relu_forward(x):\n    return x +\n")
    with pytest.raises(LoadError, match="line 2"):
        yours.reload()
    net.forward_backward(x, y)  # the code loaded before is still in use
    assert yours.disagreement() is None and yours.comparisons


def test_phase_stepping_runs_their_code_layer_by_layer(yours_of):
    yours = yours_of(EXAMPLES / "flipped_kernel.py")
    net = Network.from_arch(DEFAULT_ARCH, seed=0)
    yours.attach(net)
    x, y = samples(1)[0]
    events = net.phases(x, y, 0.05)
    first = next(events)
    assert first.phase == "forward" and first.layer == "conv1"
    assert [c.function for c in yours.comparisons] == ["conv_forward"]
    assert not yours.comparisons[0].agrees
    np.testing.assert_array_equal(first.trace.layer("conv1").out,
                                  yours.comparisons[0].yours["out"])
    for _ in events:
        pass


def test_a_function_that_hangs_is_stopped_once_and_the_steps_go_on(tmp_path):
    path = tmp_path / "my_layers.py"
    path.write_text("import numpy as np\n\ndef dense_forward(x, W, b):\n    while True:\n"
                    "        pass\n\ndef relu_forward(x):\n    return np.maximum(x, 0)\n")
    yours = YourLayers(path, timeout=2.0)
    try:
        mine = Network.from_arch("conv8x3-relu-pool2-dense10", seed=0)
        engine = Network.from_arch("conv8x3-relu-pool2-dense10", seed=0)
        yours.attach(mine)
        for x, y in samples(2):
            assert mine.train_step(x, y, 0.05).loss == engine.train_step(x, y, 0.05).loss
            worst = yours.disagreement()
            assert worst.function == "dense_forward"
            assert "did not finish within 2 s" in worst.failure
        # The second step did not wait for it again, and relu ran in the fresh worker.
        assert worst.failure.startswith("not called again until the file is reloaded")
        assert any(c.function == "relu_forward" and c.agrees for c in yours.comparisons)
    finally:
        yours.close()
