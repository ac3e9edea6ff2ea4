"""Invitations as the targets see them (LIFE007): an account's invitation is done at a
SCIM target when the target reports the user (its operation delivered), and at a
change-file target when an admin confirmed the operation. Reads outbox records; pure.
"""

from __future__ import annotations

from typing import Iterable, Mapping

from .operations import Operation, OpStatus


def latest_by_key(operations: Iterable[Operation]) -> dict[tuple[str, str], Operation]:
    """The newest non-superseded operation per (target, key)."""
    out: dict[tuple[str, str], Operation] = {}
    for op in operations:  # ordered by serial, seq: later ones win
        if op.status != str(OpStatus.SUPERSEDED):
            out[(op.target, op.key)] = op
    return out


def views(account: str, latest: Mapping[tuple[str, str], Operation]) -> dict[str, str]:
    """target -> the status of the account's latest operation there (targets that never
    received the account are absent)."""
    return {target: op.status for (target, key), op in sorted(latest.items()) if key == account}


def combined(status: str, seen: Mapping[str, str]) -> str:
    """An invitation whose account every target holding it has received is `delivered`;
    otherwise its own status (pending, expired, revoked) stands."""
    if status != "revoked" and seen and all(s == str(OpStatus.DELIVERED) for s in seen.values()):
        return "delivered"
    return status
