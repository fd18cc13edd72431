"""The batch strip: the samples of a mini-batch step, their labels and predictions, and the
sample in focus, which every panel then shows."""

import numpy as np
import pytest
from PyQt6.QtCore import QPoint, Qt

from tests.app.panel_checks import panel
from visualcnn.app.views.output import GRAD_TITLE
from visualcnn.app.views.panels import ConvPanel, InputPanel


def set_batch(window, batch):
    window.controls.batch_box.setValue(batch)


def click_sample(qtbot, window, i):
    strip = window.batch.strip
    centre = strip.cell(i).center()
    qtbot.mouseClick(strip, Qt.MouseButton.LeftButton, pos=QPoint(int(centre.x()),
                                                                   int(centre.y())))


def test_the_strip_shows_the_batch_with_its_labels_and_predictions(window):
    set_batch(window, 4)
    window.actions["step"].trigger()
    strip, s = window.batch.strip, window.session
    assert window.batch.bar.isVisible()
    whole = window.batch.batch_trace
    assert whole.batch == 4 and len(s.batch_indices) == 4
    assert strip.labels == [int(s.dataset.y_train[i]) for i in s.batch_indices]
    assert strip.predictions == [int(p) for p in whole.predictions]
    assert strip.indices == list(s.batch_indices)
    # Each thumbnail is outlined green when right and red when wrong: the strip knows which.
    assert [strip.right(i) for i in range(4)] == [
        bool(p == y) for p, y in zip(whole.predictions, whole.labels, strict=True)]
    assert f"#{s.batch_indices[2]}" in strip.describe(2)


def test_a_click_focuses_a_sample_and_the_input_panel_shows_its_pixels(window, qtbot):
    set_batch(window, 4)
    window.actions["step"].trigger()
    s = window.session
    click_sample(qtbot, window, 2)
    shown = window.last_trace
    assert shown.focus == 2 and window.batch.strip.focus == 2
    index = s.batch_indices[2]
    np.testing.assert_array_equal(shown.input[0], s.dataset.x_train[index])
    sample = panel(window, InputPanel).sample
    np.testing.assert_array_equal(sample.raw[0, 0], s.dataset.x_train[index][0])
    caption = panel(window, InputPanel).caption.text()
    assert f"#{index} (3 of 4)" in caption
    assert f"label {int(s.dataset.y_train[index])}" in caption
    # The output panel shows that sample's probabilities.
    np.testing.assert_array_equal(window.output_panel.probs,
                                  window.batch.batch_trace.batch_probs[2])


def test_brackets_move_the_focus_along_the_batch(window, qtbot):
    set_batch(window, 3)
    window.actions["step"].trigger()
    qtbot.keyClick(window, Qt.Key.Key_BracketRight)
    assert window.last_trace.focus == 1
    qtbot.keyClick(window, Qt.Key.Key_BracketRight)
    qtbot.keyClick(window, Qt.Key.Key_BracketRight)
    assert window.last_trace.focus == 0  # round to the first again
    qtbot.keyClick(window, Qt.Key.Key_BracketLeft)
    assert window.last_trace.focus == 2
    np.testing.assert_array_equal(panel(window, InputPanel).sample.raw[0, 0],
                                  window.session.dataset.x_train[
                                      window.session.batch_indices[2]][0])


def test_brackets_with_one_sample_a_step_say_there_is_no_batch(window, qtbot):
    window.actions["step"].trigger()
    qtbot.keyClick(window, Qt.Key.Key_BracketRight)
    assert "no batch" in window.statusBar().currentMessage()
    assert window.last_trace.focus == 0 and window.last_trace.batch == 1


def test_the_focus_stays_from_step_to_step_cut_to_a_smaller_batch(window, qtbot):
    set_batch(window, 4)
    window.actions["step"].trigger()
    click_sample(qtbot, window, 3)
    window.actions["step"].trigger()
    assert window.last_trace.focus == 3
    set_batch(window, 2)
    window.actions["step"].trigger()
    assert window.last_trace.batch == 2 and window.last_trace.focus == 1
    np.testing.assert_array_equal(window.last_trace.input[0], window.session.dataset.x_train[
        window.session.batch_indices[1]])


def test_the_focus_survives_step_back(window, qtbot):
    set_batch(window, 4)
    window.actions["step"].trigger()
    first = window.session.batch_indices
    window.actions["step"].trigger()
    click_sample(qtbot, window, 2)
    window.actions["step_back"].trigger()
    shown = window.last_trace
    assert shown.step == 1 and shown.focus == 2
    np.testing.assert_array_equal(shown.input[0], window.session.dataset.x_train[first[2]])
    assert window.batch.strip.indices == list(first)


def test_gradient_titles_say_batch_mean_and_which_sample(window, qtbot):
    conv = panel(window, ConvPanel)
    set_batch(window, 4)
    window.actions["step"].trigger()
    click_sample(qtbot, window, 1)
    assert conv.grad_weights.title == "dL/dW, batch mean of 4"
    assert conv.grad_maps.title == "dL/d(feature map), sample 2 of 4"
    assert panel(window, InputPanel).gradient.title == "dL/d(input), sample 2 of 4"
    assert window.output_panel.grad_title == "dL/d(logits) = (p - y)/4"
    assert window.output_panel.titles[window.output_panel.prob_plot] == (
        "probabilities, sample 2 of 4")
    # The parameters' gradients are the batch's, whichever sample is in focus.
    np.testing.assert_array_equal(conv.grad_weights.raw.reshape(-1),
                                  window.batch.batch_trace.layer("conv1").grads["W"].reshape(-1))
    # One sample a step: the titles are as they always were.
    set_batch(window, 1)
    window.actions["step"].trigger()
    assert conv.grad_weights.title == "dL/dW"
    assert conv.grad_maps.title == "dL/d(feature map)"
    assert window.output_panel.grad_title == GRAD_TITLE


def test_the_batch_control_sets_the_next_steps_batch(window):
    set_batch(window, 5)
    assert window.session.batch == 5
    window.actions["step"].trigger()
    assert window.last_trace.batch == 5 and len(window.session.batch_indices) == 5
    assert window.session.index_in_epoch == 5
    set_batch(window, 1)
    window.actions["step"].trigger()
    assert window.last_trace.batch == 1 and window.session.index_in_epoch == 6
    assert not window.batch.bar.isVisible()


def test_one_sample_a_step_looks_as_before(window):
    window.actions["step"].trigger()
    assert not window.batch.bar.isVisible()
    assert window.batch.batch_trace is None
    trace = window.last_trace
    assert trace.batch == 1 and trace is window.batch.focused(trace)
    caption = panel(window, InputPanel).caption.text()
    assert caption.startswith(f"sample #{window.session.sample_index}  label")
    assert " of " not in caption


@pytest.mark.parametrize("batch", [3, 64])
def test_the_batch_is_kept_in_the_settings(make_window, batch):
    from PyQt6.QtCore import QSettings

    from visualcnn.app.settings import saved_batch

    window = make_window()
    set_batch(window, batch)
    window.close()
    assert saved_batch(QSettings()) == batch



def test_colour_data_is_drawn_in_colour_on_the_strip(window, monkeypatch, tmp_path):
    from PyQt6.QtGui import QColor

    from tests.app.classroom.test_colour_data import open_folder
    from tests.data.image_files import write_cifar_folder

    folder = tmp_path / "cifar-10-batches-bin"
    write_cifar_folder(folder, batches=(1,), per_batch=8, test=4)
    set_batch(window, 4)
    open_folder(window, monkeypatch, folder)
    assert window.session.batch == 4  # a new dataset keeps the batch size
    window.actions["step"].trigger()
    strip, s = window.batch.strip, window.session
    x = s.dataset.x_train[s.batch_indices[0]]  # (3, 32, 32)
    # The brightest pixel of the thumbnail is the sample's brightest, in its own colour.
    i, j = np.unravel_index(np.argmax(x.sum(axis=0)), x.shape[1:])
    scaled = (x - x.min()) / (x.max() - x.min())
    pixel = QColor(strip.images[0].pixel(int(j), int(i)))
    assert (pixel.red(), pixel.green(), pixel.blue()) == tuple(
        int(round(v * 255)) for v in scaled[:, i, j])


def test_the_batch_box_shows_the_batch_the_window_opened_with(settings_dir, qtbot, dataset):
    from visualcnn.app.launch import open_window
    from visualcnn.nn import Network

    window = open_window(dataset, Network.from_arch("conv8x3-pool2-dense10"), 0.01, 0,
                         batch=6)
    qtbot.addWidget(window)
    assert window.controls.batch_box.value() == 6 and window.session.batch == 6
    window.actions["step"].trigger()
    assert window.last_trace.batch == 6 and window.batch.strip.focus == 0
    window.close()


def test_a_saved_layout_does_not_bring_the_strip_back_without_a_batch(make_window, qtbot):
    window = make_window()
    set_batch(window, 4)
    window.actions["step"].trigger()
    assert window.batch.bar.isVisible()
    window.close()  # the layout is saved with the strip showing
    again = make_window()  # one sample a step: restoring the layout must not show it
    qtbot.wait(50)
    assert again.layouts.mode == "normal" and again.session.batch == 1
    assert again.batch.bar.isHidden()


def test_run_draws_the_sample_in_focus_of_each_batch(window, qtbot):
    set_batch(window, 4)
    window.actions["step"].trigger()
    click_sample(qtbot, window, 2)
    window.controls.speed_slider.setValue(window.controls.speed_slider.maximum())
    qtbot.keyClick(window, Qt.Key.Key_Space)
    qtbot.waitUntil(lambda: window.session.net.step > 4)
    qtbot.keyClick(window, Qt.Key.Key_Space)
    shown, s = window.last_trace, window.session
    assert shown.step == s.net.step and shown.batch == 4 and shown.focus == 2
    np.testing.assert_array_equal(shown.input[0], s.dataset.x_train[s.batch_indices[2]])
    assert window.batch.strip.indices == list(s.batch_indices)
