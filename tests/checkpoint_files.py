"""Reading a checkpoint back the way every reader must: each field, with pickles refused."""

from __future__ import annotations

import numpy as np


def read_back_every_field(path) -> dict[str, np.ndarray]:
    """Every array of the .npz at ``path``, loaded with ``allow_pickle=False``; fails on an
    object array (which that refuses) or on any field that is not a plain number, string or
    array of numbers."""
    with np.load(path, allow_pickle=False) as z:
        fields = {key: z[key] for key in z.files}
    for key, value in fields.items():
        assert value.dtype.kind in "biufU", f"{path}: {key} has dtype {value.dtype}"
    return fields
