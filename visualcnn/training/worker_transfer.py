"""Traces and network states laid out in shared memory, for Run's worker process
(``training.run_worker``). Qt-free.

Nothing here pickles: a trace's structure (its classes, field names, array shapes and dtypes)
travels as JSON, its numbers as raw bytes at the offsets the structure gives, and only the
engine's own record types (StepTrace, LayerTrace, AdamMoments) can be built from it.
"""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Mapping
from types import MappingProxyType

import numpy as np

from visualcnn.nn.optimizers import AdamMoments
from visualcnn.nn.trace import LayerTrace, StepTrace

ALIGN = 8
_RECORDS = {"StepTrace": StepTrace, "LayerTrace": LayerTrace, "AdamMoments": AdamMoments}


class LayoutError(ValueError):
    """A trace holds something the worker cannot send (a type of its own)."""


def _record_name(value) -> str | None:
    for name, cls in _RECORDS.items():
        if isinstance(value, cls):
            return name
    return None


def trace_layout(trace) -> tuple[dict, int]:
    """The structure of ``trace`` as a JSON-able dict and the bytes its numbers take."""
    size = 0

    def place(nbytes: int) -> int:
        nonlocal size
        offset = size
        size += -(-nbytes // ALIGN) * ALIGN
        return offset

    def spec(value):
        if value is None or isinstance(value, str):
            return {"const": value}
        if isinstance(value, (bool, np.bool_)):
            return {"bool": place(8)}
        if isinstance(value, (int, np.integer)):
            return {"int": place(8)}
        if isinstance(value, (float, np.floating)):
            return {"float": place(8)}
        if isinstance(value, np.ndarray):
            if value.dtype.hasobject:
                raise LayoutError("an array of Python objects")
            return {"array": place(value.nbytes), "dtype": value.dtype.str,
                    "shape": list(value.shape)}
        if isinstance(value, tuple):
            return {"tuple": [spec(v) for v in value]}
        if isinstance(value, Mapping):  # a dict, or a pool's lazily made extras
            if not all(isinstance(k, str) for k in value):
                raise LayoutError("a mapping with keys that are not strings")
            return {"map": [[k, spec(v)] for k, v in value.items()]}
        name = _record_name(value)
        if name is None:
            raise LayoutError(f"a {type(value).__name__}")
        return {"record": name, "fields": [[f.name, spec(getattr(value, f.name))]
                                           for f in dataclasses.fields(value)]}

    return spec(trace), size


def layout_text(layout: dict) -> bytes:
    return json.dumps(layout, separators=(",", ":")).encode()


def write_trace(trace, layout: dict, buffer: np.ndarray) -> None:
    """Write the numbers of ``trace`` (laid out as ``layout``) into ``buffer`` (uint8)."""

    def put(value, spec):
        if "const" in spec:
            return
        if "array" in spec:
            at = spec["array"]
            buffer[at:at + value.nbytes] = np.ascontiguousarray(value).reshape(-1).view(np.uint8)
        elif "int" in spec or "bool" in spec:
            buffer[spec.get("int", spec.get("bool")):][:8].view(np.int64)[0] = int(value)
        elif "float" in spec:
            buffer[spec["float"]:][:8].view(np.float64)[0] = float(value)
        elif "tuple" in spec:
            for v, s in zip(value, spec["tuple"], strict=True):
                put(v, s)
        elif "map" in spec:
            for (key, s) in spec["map"]:
                put(value[key], s)
        else:
            for name, s in spec["fields"]:
                put(getattr(value, name), s)

    put(trace, layout)


def read_trace(layout: dict, buffer: np.ndarray):
    """The trace whose numbers ``write_trace`` put in ``buffer``: its own read-only copies."""

    def get(spec):
        if "const" in spec:
            return spec["const"]
        if "array" in spec:
            dtype, shape = np.dtype(spec["dtype"]), tuple(spec["shape"])
            at = spec["array"]
            nbytes = dtype.itemsize * int(np.prod(shape, dtype=np.int64))
            a = buffer[at:at + nbytes].view(dtype).reshape(shape).copy()
            a.flags.writeable = False
            return a
        if "int" in spec:
            return int(buffer[spec["int"]:][:8].view(np.int64)[0])
        if "bool" in spec:
            return bool(buffer[spec["bool"]:][:8].view(np.int64)[0])
        if "float" in spec:
            return float(buffer[spec["float"]:][:8].view(np.float64)[0])
        if "tuple" in spec:
            return tuple(get(s) for s in spec["tuple"])
        if "map" in spec:
            return MappingProxyType({key: get(s) for key, s in spec["map"]})
        cls = _RECORDS[spec["record"]]  # only the engine's own record types
        return cls(**{name: get(s) for name, s in spec["fields"]})

    return get(layout)


# ----------------------------------------------------------------------- network states
def state_layout(net) -> tuple[list, int]:
    """Where each array of ``net``'s state goes: [(kind, where, key, dtype, shape, offset)],
    kind "param" (where: the layer's position) or "slot" (where: the optimiser's slot and
    layer name), and the bytes they take."""
    layout, size = [], 0
    entries = [("param", i, k, a) for i, layer in enumerate(net.layers)
               for k, a in layer.params.items()]
    entries += [("slot", (slot, name), k, a)
                for (slot, name, k), a in net.optimizer_arrays().items()]
    for kind, where, key, a in entries:
        layout.append((kind, where, key, a.dtype, a.shape, size))
        size += -(-a.nbytes // ALIGN) * ALIGN
    return layout, size


def write_state(net, layout: list, buffer: np.ndarray) -> None:
    """Copy ``net``'s parameters and optimiser state into ``buffer`` (uint8)."""
    slots = net.optimizer_arrays()
    for kind, where, key, _dtype, _shape, offset in layout:
        a = (net.layers[where].params[key] if kind == "param"
             else slots[(where[0], where[1], key)])
        buffer[offset:offset + a.nbytes] = np.ascontiguousarray(a).reshape(-1).view(np.uint8)


def read_state(net, layout: list, buffer: np.ndarray, step: int) -> None:
    """Give ``net`` the state in ``buffer`` after ``step`` steps, in arrays of its own (an
    update replaces a network's arrays, never writes into them: snapshots may hold the old)."""
    slots = {}
    for kind, where, key, dtype, shape, offset in layout:
        nbytes = dtype.itemsize * int(np.prod(shape, dtype=np.int64))
        a = buffer[offset:offset + nbytes].view(dtype).reshape(shape).copy()
        if kind == "param":
            net.layers[where].params[key] = a
        else:
            slots[(where[0], where[1], key)] = a
    if slots:
        net.set_optimizer_arrays(slots)
    net.step = int(step)
