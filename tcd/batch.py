"""Batch work over thousands of units: sharing it among processes, pausing the cycle collector."""

import gc
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import ProcessPoolExecutor
from contextlib import contextmanager
from multiprocessing import get_context
from typing import TypeVar

T = TypeVar("T")
R = TypeVar("R")
S = TypeVar("S")


def shared_out(
    work: Callable[[T], R], then: Callable[[R], S], items: Sequence[T], jobs: int, least: int
) -> list[S]:
    """[then(work(item)) for item in items], in order. `work` is shared among up to `jobs`
    processes (this one included) when each gets `least` items at least: below that,
    starting a process costs more than it saves. `then` runs here, on this process's share
    while the others still work, then on theirs; what `work` returns them comes back pickled.
    The others are forked, so this process must not be running threads or gevent."""
    jobs = min(jobs, len(items) // least)
    if jobs <= 1:
        return [then(work(item)) for item in items]
    share = -(-len(items) // jobs)
    chunks = [items[start : start + share] for start in range(0, len(items), share)]
    with ProcessPoolExecutor(len(chunks) - 1, mp_context=get_context("fork")) as pool:
        others = [pool.submit(_each, work, chunk) for chunk in chunks[1:]]
        results = [then(work(item)) for item in chunks[0]]
        for other in others:
            results.extend(then(result) for result in other.result())
    return results


def _each(work: Callable[[T], R], items: Sequence[T]) -> list[R]:
    return [work(item) for item in items]


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
