"""The drawing -> MNIST-format conversion: box of 20, centre of mass at the centre, [0, 1]."""

import numpy as np
import pytest

from visualcnn.common.errors import DataError
from visualcnn.data import load_dataset
from visualcnn.data.drawn import area_weights, centre_of_mass, strokes_to_sample, to_sample


def ink_box(sample):
    rows = np.flatnonzero(sample.any(axis=1))
    cols = np.flatnonzero(sample.any(axis=0))
    return rows[-1] - rows[0] + 1, cols[-1] - cols[0] + 1


def test_a_bar_in_a_corner_is_fitted_and_centred_by_its_centre_of_mass():
    canvas = np.zeros((280, 280))
    canvas[5:125, 230:262] = 1.0          # a tall bar in the top right corner
    sample = to_sample(canvas)
    assert sample.shape == (1, 28, 28) and sample.dtype == np.float32
    image = sample[0]
    h, w = ink_box(image)
    assert h == 20 and w == 5             # longer side 20, aspect kept (120:32 -> 20:5.3)
    cy, cx = centre_of_mass(image)
    assert abs(cy - 14) <= 0.5 and abs(cx - 14) <= 0.5
    assert image.min() >= 0 and image.max() == 1


def test_a_lopsided_shape_is_centred_by_mass_not_by_box():
    canvas = np.zeros((200, 300))
    canvas[20:180, 40:90] = 1.0           # heavy vertical stroke on the left
    canvas[150:180, 90:200] = 1.0         # a foot to the right (an "L")
    image = to_sample(canvas)[0]
    cy, cx = centre_of_mass(image)
    assert abs(cy - 14) <= 0.5 and abs(cx - 14) <= 0.5
    h, w = ink_box(image)
    assert max(h, w) == 20
    # Centred by its box the ink would start at column (28 - w) // 2; by mass it is pushed
    # right, towards the heavy stroke's side being in the middle.
    cols = np.flatnonzero(image.any(axis=0))
    assert cols[0] > (28 - w) // 2


def test_a_shift_never_pushes_ink_off_the_field():
    canvas = np.zeros((200, 300))
    canvas[20:180, 40:50] = 1.0           # all the mass far left, a long faint foot
    canvas[175:180, 50:240] = 0.1
    image = to_sample(canvas)[0]
    h, w = ink_box(image)
    assert max(h, w) == 20
    cols = np.flatnonzero(image.any(axis=0))
    assert cols[-1] == 27                 # pushed as far right as the field allows
    assert np.isclose(image.sum(), to_sample(canvas[:, ::-1])[0].sum(), rtol=1e-6)


def test_a_blank_canvas_is_refused_with_a_clear_message():
    with pytest.raises(DataError, match="blank: draw a digit first"):
        to_sample(np.zeros((280, 280)))
    with pytest.raises(DataError, match="blank"):
        to_sample(np.full((50, 50), 0.01))  # below the ink threshold: paper noise


def test_area_weights_average_and_keep_constants():
    W = area_weights(10, 4)
    np.testing.assert_allclose(W.sum(axis=1), 1.0)
    np.testing.assert_allclose(W @ np.full(10, 0.7), 0.7)
    np.testing.assert_allclose(area_weights(4, 2) @ np.array([1.0, 3.0, 5.0, 7.0]), [2, 6])
    # Output pixel 0 of 10 -> 4 covers input [0, 2.5): pixels 0, 1 fully, pixel 2 half.
    np.testing.assert_allclose(W[0, :3] * 2.5, [1, 1, 0.5])


def test_an_enlarged_mnist_digit_comes_back_as_itself():
    digits = load_dataset("bundled").x_train[:20, 0].astype(np.float64)
    for digit in digits:
        canvas = np.zeros((300, 300))
        canvas[13:293, 7:287] = np.kron(digit, np.ones((10, 10)))
        back = to_sample(canvas)[0]
        correlation = np.corrcoef(back.ravel(), digit.ravel())[0, 1]
        assert correlation > 0.95


# ------------------------------------------------------------------ from the pen's path
def row_mass(image):
    """Ink across each row, median over the middle half of the rows with ink."""
    rows = np.flatnonzero(image.sum(axis=1) > 0.5)
    middle = rows[len(rows) // 4:3 * len(rows) // 4]
    return float(np.median(image[middle].sum(axis=1)))


def test_the_same_path_at_any_size_and_place_gives_the_same_sample():
    seven = [(0, 0), (50, 0), (100, 0), (70, 45), (40, 100)]
    large = strokes_to_sample([seven])
    for scale, shift in ((0.05, (3, 200)), (3.0, (-40, 7)), (0.5, (0.25, 0.75))):
        moved = [[(x * scale + shift[0], y * scale + shift[1]) for x, y in seven]]
        np.testing.assert_allclose(strokes_to_sample(moved), large, atol=1e-6)


def test_an_upright_stroke_is_as_wide_as_mnist_ones_with_grey_edges():
    ones = load_dataset("bundled")
    ones = ones.x_train[ones.y_train == 1, 0]
    lo, hi = np.percentile([row_mass(one) for one in ones], [25, 75])
    for x in (0.0, 0.3, 0.5, 0.8):  # wherever it falls between pixels
        image = strokes_to_sample([[(x, 0), (x + 3, 200)]])[0]
        assert lo <= row_mass(image) <= hi
        assert ink_box(image)[0] == 20
        grey = image[(image > 0.05) & (image < 0.95)]
        assert grey.size >= 20 and image.max() == 1


def test_strokes_are_fitted_to_the_box_with_their_ink_and_centred_by_mass():
    ell = [[(0, 0), (0, 100)], [(0, 100), (60, 100)]]  # two strokes: an "L"
    image = strokes_to_sample(ell)[0]
    assert max(ink_box(image)) == 20
    cy, cx = centre_of_mass(image)
    assert abs(cy - 14) <= 0.5 and abs(cx - 14) <= 0.5
    small = strokes_to_sample(ell, size=14, box=10)[0]
    assert small.shape == (14, 14) and max(ink_box(small)) == 10


def test_a_dot_is_a_dot_and_no_path_is_refused():
    dot = strokes_to_sample([[(5, 5)]])[0]
    assert max(ink_box(dot)) <= 5 and dot.max() == 1
    with pytest.raises(DataError, match="blank"):
        strokes_to_sample([])
    with pytest.raises(DataError, match="blank"):
        strokes_to_sample([[], np.zeros((0, 2))])
