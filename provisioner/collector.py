"""The cycle collector around bulk work.

Validating, planning and applying a large org builds millions of objects that live until
the command ends (a model of 100,000 people, their access, a state, a plan), and hardly
any of them is in a reference cycle; yet Python's cyclic collector walks them again each
time enough new objects have been made: a sixth of a 100,000-person `validate`. `paused()`
keeps it off for such work. Objects still go the moment nothing refers to them; only
garbage in cycles waits (a few megabytes at 100,000 people). On the way out, what was made
meanwhile is handed to the oldest generation at once (frozen, then thawed), so the
collector's return does not start with walking it. `running()` turns the collector back
on inside a pause for work that leaves cycles behind as it goes (talking to targets, one
request after another), with what exists already frozen, so its collections never walk it.
Both are context managers and decorators; a pause inside a pause is the same pause.
Freezing is process-wide and does not nest: where a caller has frozen objects already,
neither freezes nor thaws anything (the collector's work is then only less well spared).
"""

from __future__ import annotations

import gc
from contextlib import contextmanager


@contextmanager
def paused():
    """The cyclic collector off meanwhile (unless it already was)."""
    if not gc.isenabled():
        yield
        return
    gc.disable()
    try:
        yield
    finally:
        if gc.get_freeze_count() == 0:  # else a caller froze objects of its own: they stay frozen
            _settle()
        gc.enable()


@contextmanager
def running():
    """The cyclic collector on meanwhile, inside `paused()` too; what exists already is
    left out of its collections."""
    if gc.isenabled():
        yield
        return
    ours = gc.get_freeze_count() == 0  # else a caller froze objects of its own: left as they are
    if ours:
        gc.freeze()
    gc.enable()
    try:
        yield
    finally:
        gc.disable()
        if ours:
            gc.unfreeze()


def _settle() -> None:
    """Move every object the collector tracks to its oldest generation, without walking them."""
    gc.freeze()
    gc.unfreeze()
