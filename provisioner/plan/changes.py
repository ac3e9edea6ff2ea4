"""The plan as plain data: a tiny action enum with predicates, and one change per address.

A change holds what apply needs (address, action, after) and what only explains the plan
(reason, before, diff); the explanatory fields never drive apply.
"""

from __future__ import annotations

import enum
import sys
from dataclasses import dataclass, field
from typing import Any


from ..records import quick
from ..state.backend import Resource


class Action(str, enum.Enum):
    CREATE = "create"
    UPDATE = "update"
    REPLACE = "replace"
    DEACTIVATE = "deactivate"
    REACTIVATE = "reactivate"
    DELETE = "delete"
    MOVE = "move"  # the same account under a new address (`previously:`, ID001)
    NOOP = "no-op"

    def __str__(self) -> str:
        return _TEXT[self]  # the value: one string, without the enum descriptor's cost per call

    @property
    def creates(self) -> bool:
        return self in (Action.CREATE, Action.REPLACE)

    @property
    def removes(self) -> bool:
        return self in (Action.DEACTIVATE, Action.DELETE)

    @property
    def changes_something(self) -> bool:
        return self is not Action.NOOP


_TEXT = {action: sys.intern(action._value_) for action in Action}
ACTION_ORDER = (Action.CREATE, Action.UPDATE, Action.REPLACE, Action.DEACTIVATE, Action.REACTIVATE,
                Action.DELETE, Action.MOVE, Action.NOOP)


def resource_dict(r: Resource | None) -> dict | None:
    """The resource as the plan document holds it; a dict of attributes is shared, not
    copied (nothing changes a resource's attributes after it is made)."""
    if r is None:
        return None
    attributes = r.attributes
    return {"kind": r.kind, "status": r.status,
            "attributes": attributes if type(attributes) is dict else dict(attributes)}


@quick
@dataclass(frozen=True, slots=True)
class FieldChange:
    path: str
    before: Any
    after: Any


@dataclass(slots=True)
class Change:
    address: str
    action: Action
    reason: str = ""
    before: Resource | None = None
    after: Resource | None = None
    replaces: str | None = None  # address of the resource a `replace` retires, when another
    diff: list[FieldChange] = field(default_factory=list)
    moved_from: str | None = None  # a `move`: the address the resource had (it is re-addressed)
    retired_email: str | None = None  # an in-place `replace`: the mark the archived profile's e-mail gets
    kind: str = field(init=False, repr=False, compare=False)  # `person` of `person.ana`, asked for often

    def __post_init__(self) -> None:
        address = self.address
        self.kind = sys.intern(address[:address.find(".")]) if "." in address else address

    def to_dict(self) -> dict:
        out = {"address": self.address, "kind": self.kind, "action": str(self.action), "reason": self.reason,
               "before": resource_dict(self.before), "after": resource_dict(self.after),
               "diff": [{"path": f.path, "before": f.before, "after": f.after} for f in self.diff]}
        if self.replaces:
            out["replaces"] = self.replaces
        if self.moved_from:
            out["moved_from"] = self.moved_from
        if self.retired_email:
            out["retired_email"] = self.retired_email
        return out


def _path(parts: list) -> str:
    text = ""
    for part in parts:
        text += f"[{part}]" if isinstance(part, int) else (f".{part}" if text else str(part))
    return text


def field_diff(before: Resource | None, after: Resource | None) -> list[FieldChange]:
    """Field-level differences of one resource (status included), via DeepDiff."""
    if not before or not after:  # a creation or a removal: no field-level difference
        return []
    a = {"status": before.status, **before.attributes}
    b = {"status": after.status, **after.attributes}
    if a == b:
        return []
    from deepdiff import DeepDiff  # imported on first use: `validate` never needs it

    tree = DeepDiff(a, b, view="tree", ignore_order=True, verbose_level=2)
    found: list[FieldChange] = []
    for report in tree.values():
        for item in report:
            parts = item.path(output_format="list")
            t1 = None if type(item.t1).__name__ == "NotPresent" else item.t1
            t2 = None if type(item.t2).__name__ == "NotPresent" else item.t2
            found.append(FieldChange(_path(parts), t1, t2))
    return sorted(found, key=lambda f: f.path)
