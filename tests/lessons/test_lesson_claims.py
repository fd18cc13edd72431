"""Every shipped lesson's claims, measured by training its setup headless: a lesson whose
claim stops being true fails here. And a claim that is not true is reported as failing."""

import dataclasses

import pytest

from visualcnn.data import load_dataset
from visualcnn.lessons import find_lesson, list_lessons, run_check
from visualcnn.lessons.checks import CLAIMS


@pytest.fixture(scope="module")
def bundled():
    return load_dataset("bundled")


def claims_of(name: str):
    lesson = find_lesson(name)
    return lesson, [card for card in lesson.cards if card.check is not None]


def measured(name: str, bundled) -> list:
    lesson, cards = claims_of(name)
    results = [run_check(card.check, bundled, lesson.path) for card in cards]
    for card, result in zip(cards, results, strict=True):
        assert result.passed, f"{name}, card {card.number}: {result.summary}"
    return [r.figures for r in results]


def test_every_shipped_lesson_is_covered_below():
    tested = {"one-sample", "max-pool", "class-templates", "lr-too-high", "lr-too-low",
              "constant-init", "dead-relus", "sigmoid-deep"}
    assert {lesson.name for lesson in list_lessons()} == tested


def test_lesson_1_one_sample_takes_twelve_phases(bundled):
    [figures] = measured("one-sample", bundled)
    assert figures["phases"] == 12  # conv, relu, pool, flatten, dense: 5 + 1 + 5 + 1


def test_lesson_2_max_pool_passes_the_gradient_to_one_winner_per_window(bundled):
    [figures] = measured("max-pool", bundled)
    assert figures["most_per_window"] == 1 and figures["windows_with_gradient"] > 0


def test_lesson_3_dense_weights_become_class_templates(bundled):
    [figures] = measured("class-templates", bundled)
    assert figures["lowest_correlation"] >= 0.8


def test_lesson_4_a_learning_rate_too_high_diverges_after_the_gradients_rose(bundled):
    [figures] = measured("lr-too-high", bundled)
    assert figures["diverged_at"] <= 10 and figures["grad_rise"] >= 3


def test_lesson_5_a_learning_rate_too_low_moves_the_weights_by_about_1e_5(bundled):
    low, normal = measured("lr-too-low", bundled)
    assert all(3e-6 <= r <= 3e-5 for r in low["median_ratio"].values())
    assert all(3e-3 <= r <= 3e-2 for r in normal["median_ratio"].values())


def test_lesson_6_constant_filters_stay_identical_and_zeros_learn_nothing_upstream(bundled):
    constant, zeros = measured("constant-init", bundled)
    assert constant["spread"] == 0 and constant["moved"] > 0
    assert zeros["upstream_change"] == 0 and zeros["output_change"] > 0


def test_lesson_7_a_large_learning_rate_kills_relus_and_a_small_one_does_not(bundled):
    killed, healthy = measured("dead-relus", bundled)
    assert killed["dead_fraction"] >= 0.5 and healthy["dead_fraction"] <= 0.05


def test_lesson_8_the_gradient_fades_through_a_deep_sigmoid_net(bundled):
    [figures] = measured("sigmoid-deep", bundled)
    assert figures["median_factor"] >= 100


# A claim made false by one number or one setup key: the check must say it does not hold.
@pytest.mark.parametrize("name, card, change", [
    ("class-templates", 2, {"min_correlation": 0.99}),
    ("lr-too-high", 2, {"with": {"lr": 0.01}}),
    ("lr-too-low", 1, {"with": {"lr": 0.01}}),
    ("constant-init", 2, {"with": {"init": "he"}}),
    ("constant-init", 3, {"with": {"init": "xavier"}}),
    ("dead-relus", 1, {"with": {"lr": 0.01}}),
    ("sigmoid-deep", 1, {"factor": 10_000.0}),
    ("one-sample", 5, {"phases": 10}),
])
def test_a_claim_that_is_not_true_fails(bundled, name, card, change):
    lesson = find_lesson(name)
    claim = dict(lesson.cards[card - 1].check)
    overrides = change.pop("with", None) if "with" in change else None
    claim.update(change)
    if overrides:
        claim["with"] = dataclasses.replace(claim["with"], **overrides)
    assert claim["kind"] in CLAIMS
    assert not run_check(claim, bundled, lesson.path).passed
