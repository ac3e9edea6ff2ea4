"""Gathering what the auditor's reports read, at the edge: the config's line positions,
git, and (when a state exists) the audit log and the outbox, into one `Sources`.
"""

from __future__ import annotations

from pathlib import Path

from ..locate import Locator
from ..pipeline import Validation
from .applied import History
from .gitblame import Blame
from .holdings import Outbox
from .provenance import Sources


def sources_for(validation: Validation, backend=None, git: bool = True) -> Sources:
    """Sources for the org of `validation`; `backend` is an open state backend or None."""
    src = Sources(Locator(validation.source.documents), Blame(Path(validation.source.root), enabled=git))
    if backend is not None:
        snap = backend.read()
        src.state = {"lineage": snap.lineage, "serial": snap.serial}
        src.history = History(backend.audit())
        src.outbox = Outbox(backend.operations(), validation.org.targets)
    return src
