"""The --units grammar: which units of a layer a command visualizes."""
from __future__ import annotations

import difflib
import re
from collections.abc import Sequence

from ..optvis.layers import LayerError


def unit_of_name(name: str, names: Sequence[str]) -> int:
    """The index of class `name` among `names` (case-insensitive); ValueError with the close names."""
    lowered = {n.lower(): i for i, n in enumerate(names)}
    if name.lower() in lowered:
        return lowered[name.lower()]
    close = difflib.get_close_matches(name.lower(), list(lowered), n=4, cutoff=0.6)
    hint = f"did you mean {', '.join(repr(names[lowered[c]]) for c in close)}?" if close else \
        f"the model's classes are {', '.join(map(repr, names[:5]))}, … ({len(names)} in all)"
    raise ValueError(f"no class named {name!r}: {hint}")


def parse_units(text: str, count: int, layer: str, names: Sequence[str] = ()) -> list[int]:
    """'all', '7', '0-63', '1,3,5-7' → unit list, checked against the layer's `count` channels.
    With `names` (a classifier's class names, for its output layer) a part may also be a class name:
    'tabby, African chameleon, 5'."""
    text = text.strip()
    if text == "all":
        return list(range(count))
    units: list[int] = []
    for part in text.split(","):
        match = re.fullmatch(r"\s*(\d+)\s*(?:-\s*(\d+)\s*)?", part)
        if not match and names and part.strip():
            units.append(unit_of_name(part.strip(), names))
            continue
        if not match:
            raise ValueError(f"cannot read units {text!r}: write 'all', '7', '0-63' or '1,3,5-7'"
                             + (" or class names" if names else ""))
        low, high = int(match[1]), int(match[2] or match[1])
        if high >= count:
            raise LayerError(f"unit {high} is out of range: layer {layer!r} has {count} channels (units 0–{count - 1})")
        if low > high:
            raise ValueError(f"units {part.strip()!r} is an empty range: write LOW-HIGH with LOW ≤ HIGH, e.g. '{high}-{low}'")
        units.extend(range(low, high + 1))
    return units
