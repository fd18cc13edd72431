"""The Breakpoints dock's sample conditions pause Run on the right step."""

from .test_breakpoints import assert_fired, make, run_for, run_until_paused  # noqa: F401


def test_sample_index_from_the_dock(make, qtbot):  # noqa: F811
    window = make()
    s = window.session
    target = int(s.epoch_order(0)[9])
    bp = window.debugger.breakpoints
    assert bp.sample_value.maximum() == s.train_size - 1
    bp.sample_value.setValue(target)
    bp.sample_on.setChecked(True)
    run_until_paused(window, qtbot)
    assert s.sample_index == target and s.net.step == 10
    assert_fired(window, f"sample #{target}", 10)


def test_prediction_changed_from_the_dock(make, qtbot):  # noqa: F811
    window = make()
    s = window.session
    predictions = {}
    changed_at = []

    def watch(trace):  # every step, drawn or not, as the session trains it
        index = s.sample_index
        if index in predictions and predictions[index] != trace.prediction:
            changed_at.append(trace.step)
        predictions[index] = trace.prediction

    hook = s.step_hook
    after = hook.after_step

    def after_step(session, trace, index, before):
        watch(trace)
        after(session, trace, index, before)

    hook.after_step = after_step
    window.debugger.breakpoints.changed_on.setChecked(True)
    run_until_paused(window, qtbot)
    assert changed_at, "no prediction changed before the run paused"
    assert s.net.step == changed_at[0] > s.train_size  # not in the first epoch
    assert_fired(window, "prediction of sample", s.net.step)
    assert "changed from" in window.banner.text()
