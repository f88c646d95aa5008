"""The --units grammar: which units of a layer a command visualizes."""
from __future__ import annotations

import re

from ..optvis.layers import LayerError


def parse_units(text: str, count: int, layer: str) -> list[int]:
    """'all', '7', '0-63', '1,3,5-7' → unit list, checked against the layer's `count` channels."""
    text = text.strip()
    if text == "all":
        return list(range(count))
    units: list[int] = []
    for part in text.split(","):
        match = re.fullmatch(r"\s*(\d+)\s*(?:-\s*(\d+)\s*)?", part)
        if not match:
            raise ValueError(f"cannot read units {text!r}: write 'all', '7', '0-63' or '1,3,5-7'")
        low, high = int(match[1]), int(match[2] or match[1])
        if high >= count:
            raise LayerError(f"unit {high} is out of range: layer {layer!r} has {count} channels (units 0–{count - 1})")
        if low > high:
            raise ValueError(f"units {part.strip()!r} is an empty range: write LOW-HIGH with LOW ≤ HIGH, e.g. '{high}-{low}'")
        units.extend(range(low, high + 1))
    return units
