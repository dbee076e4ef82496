"""Batches of a wave, as Ansible's `serial` makes them: a list of sizes, each a count or a
percentage of the wave (at least 1); the last size repeats until every site has a batch."""

import math
from collections.abc import Sequence
from typing import TypeVar

from tcd.model.waves import batch_size

T = TypeVar("T")


def parse_sizes(text: str) -> list[int | str]:
    """`--batch 1,5,25%`; ValueError names the bad part."""
    parts = [p for p in text.split(",") if p.strip()]
    if not parts:
        raise ValueError("--batch takes sizes separated by commas, e.g. 1,5,25%")
    return [batch_size(p) for p in parts]


def count_of(size: int | str, total: int) -> int:
    if isinstance(size, int):
        return size
    # Ansible takes the floor of the percentage, and at least one host
    return max(1, math.floor(total * int(size.rstrip("%")) / 100))


def split(items: Sequence[T], sizes: Sequence[int | str]) -> list[list[T]]:
    """`items` cut into batches of `sizes` (the last repeats); one batch of all without sizes."""
    if not sizes:
        return [list(items)] if items else []
    batches, start, index = [], 0, 0
    while start < len(items):
        size = count_of(sizes[min(index, len(sizes) - 1)], len(items))
        batches.append(list(items[start : start + size]))
        start, index = start + size, index + 1
    return batches
