"""Numbers as the window and its messages print them: short, whatever their size."""

from __future__ import annotations

import math


def format_number(v: float) -> str:
    """A short signed number for labels: three significant digits, compact exponents."""
    if not math.isfinite(v):
        return str(v)
    if v == 0 or 1e-3 <= abs(v) < 1e4:
        return f"{v:.3g}"
    mantissa, exponent = f"{v:.2e}".split("e")
    return f"{float(mantissa):.3g}e{int(exponent)}"
