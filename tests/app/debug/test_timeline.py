"""The timeline: a strip over the whole run; dragging its line puts the whole window at that
step, the loss of every step is drawn, breakpoint hits are marked and the foot shows where a
jump is fast."""

import numpy as np

STEPS = 40


def timeline_action(window):
    return window.debugger.timeline.dock.toggleViewAction()


def train(window, steps=STEPS):
    traces, states = {}, {}
    for _ in range(steps):
        window.actions["step"].trigger()
        traces[window.session.net.step] = window.last_trace
        states[window.session.net.step] = window.session.net.get_state()
    return traces, states


def test_dragging_the_line_shows_that_step_in_the_whole_window(window, qtbot):
    timeline = window.debugger.timeline
    assert timeline.dock.isHidden()
    timeline_action(window).trigger()  # Debug > Timeline
    assert timeline.dock.isVisible()
    traces, states = train(window)
    assert timeline.cursor.value() == STEPS
    timeline.cursor.setValue(17.4)  # as a drag leaves it
    qtbot.waitUntil(lambda: window.session.net.step == 17, timeout=5000)
    shown = window.last_trace
    assert shown.step == 17 and shown.loss == traces[17].loss
    for a, b in zip(shown.layers, traces[17].layers, strict=True):
        np.testing.assert_array_equal(a.out, b.out)
    for key, value in window.session.net.get_state().items():
        np.testing.assert_array_equal(value, states[17][key])
    assert len(window.curves_panel.loss_step.getData()[0]) == 17
    assert window.status.text().startswith("step 17 ")
    # The strip still draws the whole run, and forward again is as exact.
    assert list(timeline.loss.getData()[0]) == list(range(1, STEPS + 1))
    timeline.cursor.setValue(STEPS)
    qtbot.waitUntil(lambda: window.session.net.step == STEPS, timeout=5000)
    assert window.last_trace.loss == traces[STEPS].loss
    for key, value in window.session.net.get_state().items():
        np.testing.assert_array_equal(value, states[STEPS][key])


def test_a_drag_past_the_ends_stops_at_the_first_and_last_step(window, qtbot):
    timeline = window.debugger.timeline
    timeline_action(window).trigger()
    train(window, 10)
    timeline.cursor.setValue(-50)
    qtbot.waitUntil(lambda: window.session.net.step == 0, timeout=5000)
    assert not window.last_trace.applied  # the start of the run: the first sample's preview
    timeline.cursor.setValue(500)
    qtbot.waitUntil(lambda: window.session.net.step == 10, timeout=5000)


def test_breakpoint_hits_are_marked_on_the_strip(window):
    timeline = window.debugger.timeline
    timeline_action(window).trigger()
    bp = window.debugger.breakpoints
    bp.loss_on.setChecked(True)
    bp.loss_value.setValue(0.0)  # every step's loss is above it
    train(window, 5)
    marked, _ = timeline.hits.getData()
    assert list(marked) == [1, 2, 3, 4, 5]
    bp.loss_on.setChecked(False)
    train(window, 2)
    assert list(timeline.hits.getData()[0]) == [1, 2, 3, 4, 5]


def test_the_foot_of_the_strip_shows_where_a_jump_is_fast(window):
    timeline = window.debugger.timeline
    timeline_action(window).trigger()
    assert window.debugger.budget.set_mb(1)  # room for about nine snapshots
    train(window, 60)
    rewind = window.debugger.debugger.rewind
    rewind.step_seconds = 0.01  # 5 steps replayed in 50 ms
    fast = timeline.fast_mask(np.arange(0, 61))
    assert fast[0] and fast[-1]  # the start is kept, the newest steps are cached
    assert not fast[30]  # in between, a jump replays from the start
    timeline.refresh()
    assert timeline.band.image is not None and timeline.band.image.shape[1] == 61
