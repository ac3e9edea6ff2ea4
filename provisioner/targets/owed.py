"""From a plan to the outbox: which operations a plan's state writes owe each target, as
operation records with ids (at apply) or as per-target counts (in the plan document).

Plan time and apply time call the same functions on the same inputs (document, state,
targets from the config), so what `show` announces is what `apply` records.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter
from dataclasses import replace
from typing import Iterable, Mapping

from ..model import Target
from ..state.backend import Resource, Snapshot, Write
from .mapping import OpSpec, after_state, owed
from .operations import MAKES_AN_ACCOUNT, Operation, OpStatus, superseding


def specs_for(document: dict, snapshot: Snapshot, targets: Iterable[Target], today: dt.date) -> list[OpSpec]:
    from ..plan.apply import writes_for  # the plan package imports this module's callers

    targets = list(targets)
    if not targets:
        return []  # nothing is owed to no target
    return specs_of(writes_for(document, today), snapshot, targets)


def specs_of(writes: list[Write], snapshot: Snapshot, targets: Iterable[Target]) -> list[OpSpec]:
    """What `writes` (applied to `snapshot`) owe `targets`."""
    targets = list(targets)
    if not targets:
        return []
    before: Mapping[str, Resource] = snapshot.resources
    after = after_state(before, writes)
    moves = {w.after["moved_to"]: w.address for w in writes
             if w.action == "move" and w.resource is None and isinstance(w.after, dict) and "moved_to" in w.after}
    return owed(targets, before, after, [w.address for w in writes], moves)


def as_recorded(specs: list[OpSpec], pending: Mapping[tuple[str, str], tuple[str, str | None]]) -> list[OpSpec]:
    """`specs` as the outbox will record them (OutboxStore._insert_operations, one after the
    other, so that one also supersedes an earlier one of the same plan): `pending` maps
    (target, key) to the action and takeover of the newest pending operation that makes the
    account. A plan summarizes these, so that an update of an
    account whose create was never delivered is announced as the create it will be."""
    pending = dict(pending)
    out = []
    for spec in specs:
        key = (spec.target, spec.key)
        action, takes_over = superseding(spec.action, spec.takes_over, pending.get(key))
        if (action, takes_over) != (spec.action, spec.takes_over):
            spec = replace(spec, action=action, takes_over=takes_over)
        if action in MAKES_AN_ACCOUNT:
            pending[key] = (action, takes_over)
        else:
            pending.pop(key, None)
        out.append(spec)
    return out


def operations(specs: list[OpSpec], serial: int, now: dt.datetime) -> list[Operation]:
    """Outbox records for `specs`, ids `<serial>.<n>` in plan order; a dependency on another
    key of the same target and apply becomes a dependency on that operation."""
    stamp = now.isoformat(timespec="seconds")
    ids: dict[tuple[str, str], str] = {}
    out: list[Operation] = []
    for seq, spec in enumerate(specs, 1):
        op_id = f"{serial}.{seq}"
        ids[(spec.target, spec.key)] = op_id
        dep = ids.get((spec.target, spec.depends_on_key)) if spec.depends_on_key else None
        out.append(Operation(op_id, spec.target, serial, seq, spec.key, spec.object, spec.action, spec.payload,
                             spec.takes_over, (dep,) if dep else (), str(OpStatus.PENDING), 0, None, None,
                             stamp, stamp, None))
    return out


# The settings a SCIM target was last reached with (recorded at delivery): a plan names any
# that changed since, as the address the token is sent to is the config's to review too.
REACHED_WITH = ("url", "token_env")


def summary(specs: list[OpSpec], targets: Iterable[Target], info: Mapping[str, dict] | None = None) -> dict:
    """Per target: its type and name, how many users/groups each action touches, the
    attributes it cannot hold (a SCIM service that did not declare our extension when it
    was last reached), and the settings it was last reached with that the config changes."""
    from .scimjson import unheld

    info = info or {}
    counts: dict[str, Counter] = {}
    for spec in specs:
        counts.setdefault(spec.target, Counter())[(spec.object, spec.action)] += 1
    out = {}
    for t in targets:
        c = counts.get(t.id, Counter())
        out[t.id] = {"name": t.name, "type": t.type, "receives": list(t.receives),
                     "operations": [{"object": o, "action": a, "count": n} for (o, a), n in sorted(c.items())]}
        reached = info.get(t.id, {})
        changed = {k: {"was": reached.get(k), "now": t.settings.get(k)} for k in REACHED_WITH
                   if k in reached and reached.get(k) != t.settings.get(k)} if t.type == "scim" else {}
        if changed:
            out[t.id]["settings_changed"] = changed
        if t.type == "scim" and info.get(t.id, {}).get("extension") is False:
            out[t.id]["cannot_hold"] = sorted({a for s in specs if s.target == t.id and s.object == "user"
                                               for a in unheld(s.payload)})
    return out
