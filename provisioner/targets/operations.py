"""The outbox's records: one operation a target is owed, its result, and what the state
knows of the target's copy of an object (its shadow). Plain data, no I/O.

An operation carries the whole desired object (level-triggered, not a delta), so sending
it twice does no harm and a later operation for the same object supersedes an earlier one.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass, field
from typing import Mapping


class OpStatus(str, enum.Enum):
    PENDING = "pending"        # owed; sent (again) by the next apply or `provisioner sync`
    DELIVERED = "delivered"    # the target holds it (SCIM) or an admin confirmed it (change file)
    FAILED = "failed"          # attempts exhausted, or refused by the target (4xx): see last_error
    CONFLICT = "conflict"      # the login is held at the target by an account we do not own
    DRIFT = "drift"            # changed at the target since we last wrote it: not overwritten
    REJECTED = "rejected"      # an admin said it was not carried out (change file), with a reason
    SUPERSEDED = "superseded"  # a later operation for the same object replaced it before delivery

    def __str__(self) -> str:
        return self.value


NEEDS_ATTENTION = (OpStatus.FAILED, OpStatus.CONFLICT, OpStatus.DRIFT, OpStatus.REJECTED)

# Actions that need the account to exist at the target already, and those that make (or
# re-address) it there: an operation owed while one of the latter is still pending for its
# key supersedes it, and is recorded as what the account still needs (`superseding`).
ON_AN_ACCOUNT = ("update", "reactivate")
MAKES_AN_ACCOUNT = ("create", "recreate", "move")


def superseding(action: str, takes_over: str | None, pending: tuple[str, str | None] | None
                ) -> tuple[str, str | None]:
    """The action and takeover an operation is recorded with, `pending` being the action and
    takeover of the newest pending operation for its key that makes the account (or None).
    Superseding a pending create (or recreate), an update is that create, with the new
    payload: the account was never made. Superseding a pending move, the account is still
    under its old key there: what follows goes on taking it over (an update is still the
    move, a deactivation deactivates it)."""
    if pending is not None and pending[0] == "move" and not takes_over:
        return ("move" if action in ON_AN_ACCOUNT else action), pending[1]
    if pending is not None and pending[0] != "move" and action in ON_AN_ACCOUNT:
        return pending[0], takes_over
    return action, takes_over


@dataclass(frozen=True)
class Operation:
    """One thing a target is owed. `key` names the object at the target (`person.maria`,
    `profile.maria-pt`, `office.east`, `group.ortho`); `takes_over` names the key whose
    account this one continues (an EMR profile replaced in place, TYPE002); `depends_on`
    lists operation ids that must be delivered first."""

    id: str
    target: str
    serial: int
    seq: int
    key: str
    object: str  # user | group
    action: str  # create | update | deactivate | reactivate | retire
    payload: Mapping[str, object]
    takes_over: str | None = None
    depends_on: tuple[str, ...] = ()
    status: str = OpStatus.PENDING.value
    attempts: int = 0
    last_error: str | None = None
    remote_id: str | None = None
    created_at: str | None = None
    updated_at: str | None = None
    file: str | None = None


@dataclass(frozen=True)
class Shadow:
    """What the state knows of one object at one target: its id there and its version."""

    target: str
    key: str
    remote_id: str
    version: str | None = None
    external_id: str | None = None
    user_name: str | None = None


@dataclass(frozen=True)
class OpResult:
    """The outcome of one attempt at one operation, as the deliverer records it. A result
    with status pending is a retry to come (attempts and last_error still recorded)."""

    op_id: str
    status: str
    attempts: int = 0
    error: str | None = None
    shadow: Shadow | None = None
    drop_shadow: str | None = None  # a key whose shadow moved to `shadow` (retire)
    detail: Mapping[str, object] = field(default_factory=dict)
