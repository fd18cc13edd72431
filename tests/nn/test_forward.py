"""The forward pass alone: what a network makes of a sample with no label."""

import numpy as np
import pytest

from visualcnn.common.errors import UserError
from visualcnn.nn import Network
from visualcnn.nn.forward import NO_LABEL, forward_trace


@pytest.mark.parametrize("arch", ["conv8x3-pool2-dense10",
                                  "conv4x3-relu-pool2-dense16-relu-dense10"])
def test_the_forward_pass_is_a_dry_run_without_label_loss_or_gradients(arch):
    net = Network.from_arch(arch, seed=3)
    for layer in net.layers:  # weights that give a prediction other than class 0
        for k in layer.params:
            layer.params[k] = layer.params[k] + np.random.default_rng(1).normal(
                0, 0.1, layer.params[k].shape)
    x = np.random.default_rng(0).random((1, 28, 28))
    before = [p.copy() for _, _, p in net.parameters()]
    trace = forward_trace(net, x, lr=0.05)
    dry = net.forward_backward(x, 4, lr=0.05)
    assert trace.label == NO_LABEL and np.isnan(trace.loss) and not trace.applied
    np.testing.assert_array_equal(trace.probs, dry.probs)
    np.testing.assert_array_equal(trace.logits, dry.logits)
    assert trace.prediction == dry.prediction and trace.lr == 0.05 and trace.step == 0
    for lt, full in zip(trace.layers, dry.layers, strict=True):
        np.testing.assert_array_equal(lt.out, full.out)
        assert lt.extras.keys() == full.extras.keys()
        assert lt.dx is None and lt.dout is None and not lt.grads and not lt.updates
        assert not lt.out.flags.writeable
    assert not trace.probs.flags.writeable
    for (_, _, p), b in zip(net.parameters(), before, strict=True):
        np.testing.assert_array_equal(p, b)
    # The network is free again: a step right after is the step it would have been.
    assert net.train_step(x, 4, 0.05).loss == pytest.approx(dry.loss)


def test_a_sample_of_the_wrong_shape_is_refused():
    with pytest.raises(UserError, match="shape"):
        forward_trace(Network.from_arch("conv8x3-pool2-dense10"), np.zeros((1, 14, 14)))
