"""Pausing Python's cycle collector around batch work over thousands of units."""

import gc
from collections.abc import Iterator
from contextlib import contextmanager


@contextmanager
def cycle_collector_paused() -> Iterator[None]:
    """Loading, assessing and writing thousands of units make hundreds of thousands of objects
    that live on (or are freed by reference counting); the cycle collector, triggered every 700
    new objects, walks all that is alive again and again for nothing: ~20% of loading and half
    of assessing 3,321 units (docs/benchmarks.md). Cycles made meanwhile are collected once it
    is back on."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()
