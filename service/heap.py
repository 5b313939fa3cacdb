"""The garbage collector tuned for a server whose heap is mostly what start-up loaded.

A DynamoDB client loads botocore's service model and endpoint rules: a few hundred thousand
objects that live as long as the process. CPython's defaults (a young collection every 700
allocations, an older one every 10 of those) make the collector walk them over and over while
each request allocates a few thousand short-lived objects. Once start-up is done, everything
alive is moved out of the collector's sight (``gc.freeze``) and young collections run every
20,000 allocations. Reference counting frees almost everything as before; reference cycles are
still collected, later.
"""

from __future__ import annotations

import gc
from collections.abc import Iterator
from contextlib import contextmanager

#: Allocations between young collections, then young collections per older one, twice.
THRESHOLDS = (20_000, 50, 100)


@contextmanager
def settled_heap() -> Iterator[None]:
    """While serving: start-up's objects frozen, collections rarer. Restored on exit (tests
    run many apps in one process)."""
    before = gc.get_threshold()
    gc.freeze()
    gc.set_threshold(*THRESHOLDS)
    try:
        yield
    finally:
        gc.set_threshold(*before)
        gc.unfreeze()
