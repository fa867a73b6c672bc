"""Process-wide speed knobs: every one off unless the program turns it on.

loopdsl by itself changes nothing that belongs to the whole process: not the garbage
collector, not the C allocator, not numpy's or logging's settings. Some of that state is
worth trading for speed in a program that owns its process (the ``loopdsl`` command,
``bench/peers.py``, a batch job), and this module is the one place that does it, when asked:

>>> import gc
>>> import loopdsl
>>> from loopdsl import tuning
>>> with tuning.tuned("gc"):            # only for this block
...     model = loopdsl.loads("a -> b -> a")
>>> tuning.enabled(), gc.isenabled()
(frozenset(), True)

``tuning.enable()`` turns every knob on for the rest of the program (``enable("gc")`` one),
``tuning.disable()`` turns them off again. A web service, a notebook or a library that
embeds loopdsl should leave them off: they act on every thread of the process.

Knobs (docs/performance.md gives what each saved in the last run of bench/peers.py):

``gc``
    While loopdsl builds a model (``load``, ``loads``, XMILE import), compiles a simulation
    (``prepare``) or lists loops, Python's cycle collector is paused (``gc.disable``); after
    an XMILE import and after ``prepare`` every tracked object moves to the oldest
    generation unscanned (``gc.freeze`` + ``gc.unfreeze``; skipped if the program froze
    objects itself). These builders make about a hundred objects per stock and free none,
    so each of the collector's passes over the heap only re-scans them; load+compile of
    a large model takes 2-3x as long with the collector running.
    Costs: no thread's collections run during a build; the program's own young objects
    move to the oldest generation too, so a reference cycle among them is freed at the
    next full collection instead of the next young one.
``heap``
    Before an ensemble (``runs > 1``) one block the size of a row of the run (at most
    32 MB) is allocated and freed, which raises glibc's mmap threshold to that size, and
    its trim threshold to twice it, for the rest of the process (mallopt(3)): the
    ensemble's temporaries then come from the heap instead of fresh pages every step.
    Only the first ensemble of a process with temporaries above 128 kB gains (later ones
    find the threshold raised by their own frees). Costs: the process keeps up to twice
    that block of freed memory instead of returning it to the system.
"""

from __future__ import annotations

import gc
from collections.abc import Iterator
from contextlib import contextmanager

KNOBS = ("gc", "heap")
"""Every knob, all off until :func:`enable` or :func:`tuned` turns them on."""

_on: set[str] = set()


def enabled() -> frozenset[str]:
    """The knobs that are on."""
    return frozenset(_on)


def enable(*knobs: str) -> None:
    """Turn the named knobs on (every knob without names) for the rest of the program."""
    _on.update(_names(knobs))


def disable(*knobs: str) -> None:
    """Turn the named knobs off (every knob without names)."""
    _on.difference_update(_names(knobs))


@contextmanager
def tuned(*knobs: str) -> Iterator[None]:
    """The named knobs (every knob without names) on for a block, as they were after it."""
    was = set(_on)
    enable(*knobs)
    try:
        yield
    finally:
        _on.clear()
        _on.update(was)


def _names(knobs: tuple[str, ...]) -> tuple[str, ...]:
    unknown = [k for k in knobs if k not in KNOBS]
    if unknown:
        raise ValueError(f"unknown tuning knob {unknown[0]!r}; the knobs are "
                         + ", ".join(KNOBS))
    return knobs or KNOBS


# ---------------------------------------------------------------- hooks loopdsl calls

@contextmanager
def gc_paused() -> Iterator[None]:
    """Around a builder of many objects that frees none: with ``gc`` on, the cycle
    collector waits until the block ends (and resumes only if it was running)."""
    if "gc" not in _on:
        yield
        return
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()


def keep_built_objects() -> None:
    """With ``gc`` on, inside :func:`gc_paused` after a builder that made no reference
    cycles and whose result lives on: every tracked object moves to the oldest
    generation, unscanned. Otherwise the first allocation after the build would scan the
    new objects in a young collection, and again in the next generation, to free
    nothing. Skipped if the program froze objects itself."""
    if "gc" in _on and gc.get_freeze_count() == 0:
        gc.freeze()  # every tracked object to the permanent generation ...
        gc.unfreeze()  # ... and back into the oldest one: lists spliced, nothing scanned


def heap_for_temporaries(nbytes: int) -> None:
    """With ``heap`` on, before an ensemble whose temporaries are up to ``nbytes``: let
    them come from the heap (see the module's docstring)."""
    if "heap" in _on:
        import numpy as np  # the front end does not need numpy

        block = np.empty(max(1, min(int(nbytes), 32 << 20)) // 8)
        del block
