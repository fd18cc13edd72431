"""The engine's and the data loaders' messages in the window's language: each real bad input
(an architecture string, a damaged file, a pickled CIFAR-10, a bad checkpoint ...) and each
note a loader writes reads in Chinese with the window in Chinese, and word for word as before
on the command line, which never chooses a language."""

from __future__ import annotations

import io
import zipfile
from pathlib import Path

import numpy as np
import pytest

from tests.data.image_files import save_image, square_image, write_cifar_folder
from tests.i18n.visible import english_words
from visualcnn.common import i18n
from visualcnn.common.errors import UserError
from visualcnn.common.files import check_writable
from visualcnn.data import load_dataset
from visualcnn.data.classes import CIFAR_10, FASHION_MNIST, KMNIST
from visualcnn.data.drawn import strokes_to_sample, to_sample
from visualcnn.nn.arch import PRESETS, parse_arch, unread_note
from visualcnn.nn.init import INIT_HELP, check_init
from visualcnn.nn.network import Network
from visualcnn.nn.optimizers import OPTIMIZER_HELP, describe, resolve

# File and folder names a message quotes as the user must type or find them: names, not
# words, though the test's word finder knows only names with an extension or a slash.
QUOTED_NAMES = ("cifar-10-binary.tar.gz", "cifar-10-batches-bin", "train-labels-idx1-ubyte",
                "t10k-images-idx3-ubyte", "t10k-labels-idx1-ubyte", "--image-size")


def error_of(action) -> str:
    with pytest.raises(UserError) as caught:
        action()
    return str(caught.value)


def words_left(text: str) -> list[str]:
    """The English words of ``text`` once the file names it must quote are taken out."""
    for name in QUOTED_NAMES:
        text = text.replace(name, " ")
    return english_words(text)


def idx_file(array: np.ndarray, magic: bytes | None = None) -> bytes:
    header = magic or bytes([0, 0, 8, array.ndim])
    return header + np.array(array.shape, ">u4").tobytes() + array.tobytes()


def idx_folder(folder: Path, train_images: bytes | None = None) -> Path:
    """MNIST's four IDX files with 2 training and 2 test images of 3x4; ``train_images``
    replaces the training images' file."""
    folder.mkdir()
    images, labels = np.zeros((2, 3, 4), np.uint8), np.array([1, 2], np.uint8)
    for split in ("train", "t10k"):
        (folder / f"{split}-images-idx3-ubyte").write_bytes(idx_file(images))
        (folder / f"{split}-labels-idx1-ubyte").write_bytes(idx_file(labels))
    if train_images is not None:
        (folder / "train-images-idx3-ubyte").write_bytes(train_images)
    return folder


def checkpoint_with_a_short_array(path: Path) -> Path:
    """A checkpoint whose weights' header declares 100 float64 values and holds 10."""
    header = io.BytesIO()
    np.lib.format.write_array_header_1_0(
        header, {"descr": "<f8", "fortran_order": False, "shape": (100,)})
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("format.npy", _npy(np.array("visualcnn-checkpoint")))
        archive.writestr("param/dense1/W.npy", header.getvalue() + bytes(80))
    return path


def _npy(array: np.ndarray) -> bytes:
    out = io.BytesIO()
    np.save(out, array)
    return out.getvalue()


def image_folder_missing_a_class(tmp_path: Path) -> Path:
    for split, classes in (("train", ("c1", "c2")), ("test", ("c1",))):
        for name in classes:
            save_image(tmp_path / split / name / "0.png", square_image((0, 255, 0)))
    return tmp_path


def converted_image_folder(tmp_path: Path, last_size=(8, 8)) -> Path:
    """Two classes of 8x8 images, one RGBA and one palette image among them; the last image
    read is ``last_size``."""
    picture = square_image((0, 255, 0))
    save_image(tmp_path / "train" / "c1" / "rgba.png", picture, mode="RGBA")
    save_image(tmp_path / "train" / "c2" / "palette.png", picture, mode="P")
    save_image(tmp_path / "test" / "c1" / "0.png", picture)
    save_image(tmp_path / "test" / "c2" / "0.png", square_image((0, 255, 0), size=last_size))
    return tmp_path


def lonely_idx_file(folder: Path) -> Path:
    """A folder of one IDX file of the four."""
    folder.mkdir()
    (folder / "train-images-idx3-ubyte").write_bytes(idx_file(np.zeros((2, 3, 4), np.uint8)))
    return folder


def keras_npz_without_a_test_split(tmp_path: Path) -> Path:
    path = tmp_path / "mnist.npz"
    np.savez(path, x_train=np.zeros((2, 3, 3), np.uint8), y_train=np.zeros(2, np.uint8))
    return path


def pickled_cifar(tmp_path: Path) -> Path:
    (tmp_path / "data_batch_1").write_bytes(b"\x80\x04K\x01.")
    return tmp_path


def truncated_cifar(tmp_path: Path) -> Path:
    write_cifar_folder(tmp_path, batches=(1,))
    (tmp_path / "data_batch_1.bin").write_bytes(bytes(100))
    return tmp_path


def stale_checkpoint_folder(tmp_path: Path) -> Path:
    return tmp_path / "gone" / "net.npz"


# Each message's English, as the command line prints it ({tmp} stands for the test's folder).
ARCH_ERRORS = {
    "": "empty architecture: expected tokens like conv8x3-pool2-dense10",
    "conv8x3-relu6-dense10":
        "token 2 'relu6' of 'conv8x3-relu6-dense10' is not one of conv<F>x<K>[p<P>][s<S>], "
        "pool<K>, avgpool<K>, relu, sigmoid, tanh, lrelu, dense<N> (numbers of at most 5 "
        "digits)",
    "conv0x3-dense10": "token 1 'conv0x3': a convolution needs at least 1 filter",
    "conv8x0-dense10": "token 1 'conv8x0': the kernel size must be at least 1",
    "conv8x30-dense10": "token 1 'conv8x30': a 30x30 kernel does not fit a 1x28x28 input",
    "conv8x31p1-dense10": "token 1 'conv8x31p1': a 31x31 kernel does not fit a 1x28x28 input "
                          "(padded by 1 to 30x30)",
    "conv8x3p3-dense10": "token 1 'conv8x3p3': padding 3 must be less than the kernel size 3 "
                         "(a window of only padding reads nothing)",
    "conv8x3s0-dense10": "token 1 'conv8x3s0': the stride must be at least 1",
    "pool0-dense10": "token 1 'pool0': the pool size must be at least 1",
    "pool30-dense10": "token 1 'pool30': a 30x30 pool does not fit a 1x28x28 input",
    "dense16-pool2-dense10": "token 2 'pool2': a pool cannot follow a dense layer",
    "dense16-conv8x3-dense10": "token 2 'conv8x3': a kernel cannot follow a dense layer",
    "dense0-dense10": "token 1 'dense0': a dense layer needs at least 1 unit",
    "dense50000-dense5000-dense10": "'dense50000-dense5000-dense10' has 289,305,010 "
                                    "parameters; the limit is 50,000,000",
    "conv8x3-relu": "'conv8x3-relu' must end with dense10 (one unit per class)",
    "conv8x3-dense7": "last token 'dense7' of 'conv8x3-dense7' must have 10 units, one per "
                      "class",
}

DATA_ERRORS = {
    "a missing file": (lambda t: load_dataset(t / "nowhere"),
                       "{tmp}/nowhere: no such file or folder"),
    "an IDX file with a wrong magic number": (
        lambda t: load_dataset(idx_folder(t / "idx", idx_file(np.zeros((2, 3, 4), np.uint8),
                                                               magic=b"\x00\x00\x08\x01"))),
        "{tmp}/idx/train-images-idx3-ubyte: wrong magic number 0x00000801, expected "
        "0x00000803 for an IDX image file"),
    "a truncated IDX file": (
        lambda t: load_dataset(idx_folder(t / "idx", idx_file(np.zeros((2, 3, 4), np.uint8))
                                          [:-5])),
        "{tmp}/idx/train-images-idx3-ubyte: truncated: the header declares 2x3x4 = 24 bytes "
        "of data, only 19 follow"),
    "an IDX folder missing files": (
        lambda t: load_dataset(lonely_idx_file(t / "idx")),
        "{tmp}/idx: missing train-labels-idx1-ubyte, t10k-images-idx3-ubyte, "
        "t10k-labels-idx1-ubyte (raw or .gz)"),
    "a pickled CIFAR-10": (
        lambda t: load_dataset(pickled_cifar(t)),
        "{tmp}/data_batch_1: CIFAR-10's Python version is pickled, and visualcnn never "
        "unpickles a file (unpickling can run any code); download the CIFAR-10 binary version "
        "(cifar-10-binary.tar.gz from https://www.cs.toronto.edu/~kriz/cifar.html), extract "
        "it and give its folder cifar-10-batches-bin"),
    "a truncated CIFAR-10 batch": (
        lambda t: load_dataset(truncated_cifar(t)),
        "{tmp}/data_batch_1.bin: 100 bytes is not a whole number of 3,073-byte CIFAR-10 "
        "records (0 records and 100 bytes over): truncated or not a batch"),
    "an image folder missing a class": (
        lambda t: load_dataset(image_folder_missing_a_class(t)),
        "{tmp}/test: no folder for class 'c2', which train has; both splits need the same "
        "class folders"),
    "image folders of two sizes": (
        lambda t: load_dataset(converted_image_folder(t, last_size=(9, 9))),
        "{tmp}/test/c2/0.png is 9x9 but {tmp}/train/c1/rgba.png is 8x8: give one size to "
        "resize them all to, --image-size HxW (e.g. --image-size 8x8)"),
    "a Keras file without a test split": (
        lambda t: load_dataset(keras_npz_without_a_test_split(t)),
        "{tmp}/mnist.npz: missing x_test, y_test; expected arrays x_train, y_train, x_test, "
        "y_test"),
    "class names of the wrong count": (
        lambda t: load_dataset(idx_folder(t / "idx"), classes="c1,c2"),
        "2 class names given, but the data has 10 classes (one name per class, in label "
        "order)"),
    "a bad checkpoint": (
        lambda t: Network.load(checkpoint_with_a_short_array(t / "net.npz")),
        "{tmp}/net.npz: param/dense1/W declares shape (100,) of float64 (800 bytes), but "
        "holds 80 bytes"),
    "a checkpoint in a folder that is gone": (
        lambda t: check_writable(stale_checkpoint_folder(t)),
        "{tmp}/gone/net.npz: the folder {tmp}/gone does not exist"),
    "a blank drawing": (lambda t: to_sample(np.zeros((28, 28))),
                        "the canvas is blank: draw a digit first"),
    "a drawing of no strokes": (lambda t: strokes_to_sample([]),
                                "the canvas is blank: draw a digit first"),
    "an unknown initialiser": (lambda t: check_init("glorot"),
                               "unknown initialiser 'glorot': expected one of he, xavier, "
                               "uniform, constant, zeros"),
    "a momentum out of range": (lambda t: resolve(None, 1.5, 0.0),
                                "momentum must be in [0, 1), got 1.5"),
    "momentum with adam": (lambda t: resolve("adam", 0.5, 0.0),
                           "momentum 0.5 does not apply to adam, whose beta1 (0.9) plays its "
                           "part: leave the momentum at 0"),
}
# Names a message lists as the user must type them (the initialisers' names).
TYPED_NAMES = ("uniform", "constant", "zeros", "glorot")


def notes(tmp_path: Path) -> dict[str, tuple[str, str]]:
    """What the window shows of a dataset beyond its numbers: (text, its English)."""
    write_cifar_folder(tmp_path / "cifar", batches=(1, 2, 3))
    cifar = load_dataset(tmp_path / "cifar")
    folder = load_dataset(converted_image_folder(tmp_path / "images"))
    return {
        "CIFAR-10's note": (cifar.note, "training on data_batch_1-3 (18 images), testing on "
                            "test_batch; 2 of the 5 training batches not present"),
        "an image folder's note": (folder.note, "1 palette images converted to RGB (e.g. "
                                   "palette.png); 1 alpha channels dropped (e.g. rgba.png)"),
        "an image folder's class names' source": (folder.classes_from,
                                                   "the class folders' names"),
        "a layer that leaves input unread": (
            "\n".join(unread_note(parse_arch("conv8x3s2-pool2-conv4x2s3-dense10"))),
            "conv1 leaves 1 row and 1 column of its 28x28 input unread\n"
            "pool1 leaves 1 row and 1 column of its 13x13 input unread\n"
            "conv2 leaves 2 rows and 2 columns of its 6x6 input unread"),
        "an optimiser's caption": (describe("momentum", 0.9, 1e-4),
                                   "momentum 0.9, weight decay 0.0001"),
    }


@pytest.mark.parametrize("arch", ARCH_ERRORS)
def test_an_architecture_error_reads_as_before_in_english(arch):
    assert error_of(lambda: parse_arch(arch)) == ARCH_ERRORS[arch]


@pytest.mark.parametrize("arch", ARCH_ERRORS)
def test_an_architecture_error_is_chinese_in_a_chinese_window(arch):
    i18n.set_language(i18n.CHINESE)
    message = error_of(lambda: parse_arch(arch))
    assert english_words(message) == [] and message != ARCH_ERRORS[arch], message


@pytest.mark.parametrize("case", DATA_ERRORS)
def test_a_bad_input_gives_the_same_english_message_as_before(case, tmp_path):
    action, english = DATA_ERRORS[case]
    assert error_of(lambda: action(tmp_path)) == english.format(tmp=tmp_path)


@pytest.mark.parametrize("case", DATA_ERRORS)
def test_a_bad_input_gives_a_chinese_message_in_a_chinese_window(case, tmp_path):
    i18n.set_language(i18n.CHINESE)
    action, english = DATA_ERRORS[case]
    message = error_of(lambda: action(tmp_path))
    left = [w for w in words_left(message) if w not in TYPED_NAMES]
    assert left == [], message
    assert message != english.format(tmp=tmp_path)


def test_the_notes_a_window_shows_of_its_data_read_as_before_in_english(tmp_path):
    for what, (text, english) in notes(tmp_path).items():
        assert text == english, what


def test_the_notes_a_window_shows_of_its_data_are_chinese(tmp_path):
    i18n.set_language(i18n.CHINESE)
    for what, (text, english) in notes(tmp_path).items():
        assert words_left(text) == [] and text != english, f"{what}: {text}"


@pytest.mark.parametrize("names", [FASHION_MNIST, KMNIST, CIFAR_10])
def test_known_class_names_have_chinese_names(names):
    i18n.set_language(i18n.CHINESE)
    shown = [i18n.lookup(name) for name in names]
    assert [name for name in shown if english_words(name)] == []
    assert len(set(shown)) == len(names) and not set(shown) & set(names)


def test_the_tips_and_preset_names_the_window_shows_are_chinese():
    i18n.set_language(i18n.CHINESE)
    texts = [*INIT_HELP.values(), *OPTIMIZER_HELP.values(), *PRESETS]
    assert [text for text in texts if english_words(i18n.lookup(text))] == []


def test_the_tips_written_out_for_translation_give_the_numbers_the_engine_uses():
    from visualcnn.nn import init, optimizers

    assert f"U(-{init.UNIFORM_LIMIT:g}, {init.UNIFORM_LIMIT:g})" in INIT_HELP["uniform"]
    assert f"every weight {init.CONSTANT_WEIGHT:g}:" in INIT_HELP["constant"]
    assert (f"β1 {optimizers.ADAM_BETA1:g}, β2 {optimizers.ADAM_BETA2:g}, "
            f"ε {optimizers.ADAM_EPS:g};") in OPTIMIZER_HELP["adam"]
