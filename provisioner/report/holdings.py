"""Which targets hold a right: the org's targets that receive the right's facet, and the
latest outbox operation for the resource that carries it (delivered, pending, failed…).
Pure: operations and targets in, one small record per target out.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from typing import Iterable, Mapping

from ..model import Target
from ..targets.operations import Operation
from .rights import Right


@dataclass(frozen=True)
class Holding:
    target: str
    status: str  # delivered | pending | failed | ... | not sent
    operation: str | None
    at: str | None  # when the operation reached this status

    def to_dict(self) -> dict:
        return {"target": self.target, "status": self.status, "operation": self.operation, "at": self.at}

    def text(self) -> str:
        if self.operation is None:
            return f"{self.target}: not sent"
        return f"{self.target}: {self.status} {self.at} (op {self.operation})"


class Outbox:
    """The latest operation per (target, key), built once from the backend's operations."""

    def __init__(self, operations: Iterable[Operation], targets: Mapping[str, Target]) -> None:
        self.targets = targets
        self.latest: dict[tuple[str, str], Operation] = {}
        self.by_key: dict[str, list[Operation]] = defaultdict(list)
        for op in operations:
            if op.status == "superseded":
                continue
            self.latest[(op.target, op.key)] = op
            self.by_key[op.key].append(op)

    def holdings(self, right: Right) -> list[Holding]:
        out = []
        for t in self.targets.values():
            if right.facet not in t.receives:
                continue
            op = self.latest.get((t.id, right.address))
            out.append(Holding(t.id, op.status, op.id, op.updated_at) if op else Holding(t.id, "not sent", None, None))
        return out
