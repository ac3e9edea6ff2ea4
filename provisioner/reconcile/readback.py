"""Reading a SCIM target back: every user (and group) the service holds, in full, with
the pages it took. I/O only; what the listing means is drift's and import's business."""

from __future__ import annotations

import os
import time
from dataclasses import dataclass, field

from ..model import Target
from ..targets.scim import RequestFailed, ScimService, TargetError


@dataclass
class Holdings:
    """What one target holds, as read at one moment."""

    target: str
    users: list[dict]
    groups: list[dict] = field(default_factory=list)
    extension: bool = False
    pages: int = 0
    seconds: float = 0.0


def read_scim(target: Target, *, groups: bool | None = None, environ=os.environ) -> Holdings:
    """Every user of `target` (and its groups when it takes groups, or when `groups`).
    A service that cannot be reached or read is a TargetError naming the target."""
    started = time.monotonic()
    service = ScimService(target, environ)
    try:
        caps = service.discover()
        users = service.all("Users")
        listed = service.all("Groups") if (target.groups if groups is None else groups) else []
    except RequestFailed as exc:
        raise TargetError(f"target {target.id} ({service.url}) could not be read: {exc}") from None
    finally:
        service.close()
    return Holdings(target.id, users, listed, caps.extension, service.stats.pages, time.monotonic() - started)
