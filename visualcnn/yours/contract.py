"""The contract a student's layer file follows: which functions, their arguments, what they return.

A plain Python file may define any of the functions in ``FUNCTIONS``. Arrays are float64 NumPy
arrays in the engine's layouts, with the batch axis always present. A convolution with
padding or a stride calls ``conv_forward(x, W, b, pad=P, stride=S)`` and
``conv_backward(dout, x, W, pad=P, stride=S)``; with neither, the keywords are left out, so a
file written for the plain convolution keeps working there. A forward function may
return a tuple whose first item is ``out``; a function that raises ``NotImplementedError``
counts as not written yet.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from visualcnn.common.i18n import tr


@dataclass(frozen=True)
class FunctionSpec:
    """One function of the contract: its name, argument names, the names of what it returns,
    and whether a tuple return keeps only its first item (the forward functions)."""

    name: str
    arguments: tuple[str, ...]
    outputs: tuple[str, ...]
    first_of_tuple: bool = False

    @property
    def signature(self) -> str:
        return f"{self.name}({', '.join(self.arguments)})"


FUNCTIONS: dict[str, FunctionSpec] = {spec.name: spec for spec in (
    FunctionSpec("conv_forward", ("x", "W", "b"), ("out",), first_of_tuple=True),
    FunctionSpec("conv_backward", ("dout", "x", "W"), ("dx", "dW", "db")),
    FunctionSpec("relu_forward", ("x",), ("out",), first_of_tuple=True),
    FunctionSpec("relu_backward", ("dout", "x"), ("dx",)),
    FunctionSpec("maxpool_forward", ("x", "k"), ("out",), first_of_tuple=True),
    FunctionSpec("maxpool_backward", ("dout", "x", "k"), ("dx",)),
    FunctionSpec("dense_forward", ("x", "W", "b"), ("out",), first_of_tuple=True),
    FunctionSpec("dense_backward", ("dout", "x", "W"), ("dx", "dW", "db")),
    FunctionSpec("softmax_cross_entropy", ("logits", "y"), ("loss", "probs", "dlogits")),
)}


def output_label(name: str) -> str:
    """An output's name as a message or the window shows it: the words translated (English on
    the command line), the gradients' short names (dx, dW, db) as they are."""
    words = {"out": tr("out"), "loss": tr("loss"), "probs": tr("probs"),
             "dlogits": tr("dlogits")}
    return words.get(name, name)


class ContractError(Exception):
    """What a user's function returned does not fit the contract: the message names the
    function and what was expected."""


def expected_shapes(name: str, args: tuple, keywords=None) -> tuple[tuple[int, ...], ...]:
    """The shape of each output of ``name`` called with ``args`` and ``keywords`` (a padded
    or strided conv's ``pad`` and ``stride``; a loss is shape ())."""
    if name == "conv_forward":
        x, W, _ = args
        k = W.shape[2]
        pad, stride = (keywords or {}).get("pad", 0), (keywords or {}).get("stride", 1)
        return ((x.shape[0], W.shape[0], (x.shape[2] + 2 * pad - k) // stride + 1,
                 (x.shape[3] + 2 * pad - k) // stride + 1),)
    if name in ("conv_backward", "dense_backward"):
        _, x, W = args
        return (x.shape, W.shape, (W.shape[0],))
    if name == "relu_forward":
        return (args[0].shape,)
    if name in ("relu_backward", "maxpool_backward"):
        return (args[1].shape,)
    if name == "maxpool_forward":
        x, k = args
        return ((x.shape[0], x.shape[1], x.shape[2] // k, x.shape[3] // k),)
    if name == "dense_forward":
        x, W, _ = args
        return ((x.shape[0], W.shape[0]),)
    logits, _ = args
    return ((), logits.shape, logits.shape)


def _describe(value) -> str:
    if isinstance(value, np.ndarray):
        return tr("an array of shape {shape}", shape=value.shape)
    if isinstance(value, tuple):
        return tr("a tuple of {count} items", count=len(value))
    return tr("a {type}", type=type(value).__name__)


def as_arrays(name: str, returned) -> tuple[np.ndarray, ...]:
    """What ``name`` returned, as one float64 array per output (unchecked shapes); raise
    ContractError when it is not the contract's kind of value (a tuple of the wrong length,
    something that is no array of real numbers)."""
    spec = FUNCTIONS[name]
    if spec.first_of_tuple and isinstance(returned, (tuple, list)):
        if not returned:
            raise ContractError(tr("{function} returned an empty {type}, expected {output}",
                                   function=name, type=type(returned).__name__,
                                   output=output_label(spec.outputs[0])))
        returned = returned[0]
    if len(spec.outputs) > 1:
        if not isinstance(returned, (tuple, list)) or len(returned) != len(spec.outputs):
            raise ContractError(tr("{function} returned {value}, expected a tuple ({outputs})",
                                   function=name, value=_describe(returned),
                                   outputs=", ".join(spec.outputs)))
        items = tuple(returned)
    else:
        items = (returned,)
    arrays = []
    for output, item in zip(spec.outputs, items, strict=True):
        try:
            a = np.asarray(item)
        except Exception:  # a ragged list, an object NumPy cannot take
            raise ContractError(tr("{function} returned {output} as {value}, which is no "
                                   "array of numbers", function=name, output=output_label(output),
                                   value=_describe(item))) from None
        if a.dtype == bool or not (np.issubdtype(a.dtype, np.integer)
                                   or np.issubdtype(a.dtype, np.floating)):
            raise ContractError(tr("{function} returned {output} of dtype {dtype}, expected "
                                   "float64", function=name, output=output_label(output),
                                   dtype=a.dtype))
        arrays.append(a.astype(np.float64))
    return tuple(arrays)


def check_shapes(name: str, args: tuple, outputs: tuple[np.ndarray, ...],
                 keywords=None) -> None:
    """Raise ContractError naming the function, the output and the shape expected."""
    for output, got, want in zip(FUNCTIONS[name].outputs, outputs,
                                 expected_shapes(name, args, keywords), strict=True):
        if got.shape != want and not (want == () and got.size == 1):
            raise ContractError(tr("{function} returned {output} of shape {shape}, expected "
                                   "{expected}", function=name, output=output_label(output),
                                   shape=got.shape, expected=want))
