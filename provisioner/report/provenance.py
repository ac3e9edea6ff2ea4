"""Effective access with provenance, as one plain document: per person and per right the
file:line (or role template) that grants it, the approval and last review, the commit of
that line, the audit row that applied it (with the plan digest) and the targets holding it.
Pure given its inputs; renderers (`render`) read only the document it returns.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Iterable, Mapping

from ..locate import Locator
from ..model import Org, Person
from .applied import History, applied_row
from .gitblame import Blame
from .holdings import Outbox
from .rights import ALL, Right, person_rights

FORMAT_VERSION = "1"


@dataclass
class Sources:
    """What provenance reads besides the model: where lines are, git, the state."""

    locator: Locator
    blame: Blame | None = None
    history: History | None = None
    outbox: Outbox | None = None
    state: dict | None = None  # {"lineage", "serial"} of the state read, None without one


def grants_dict(person: Person) -> dict | None:
    g = person.grants
    if g is None:
        return None
    return {"approved_by": g.approved_by, "justification": g.justification,
            "reviewed_on": g.reviewed_on.isoformat() if g.reviewed_on else None}


def right_dict(right: Right, src: Sources) -> dict:
    file, line = src.locator.position(right.origin)
    out = {"system": right.system, "name": right.name, "profile": right.profile,
           "offices": "all" if right.offices is ALL else list(right.offices),
           "source": right.source, "template": right.template, "file": file, "line": line}
    if src.blame is not None and src.blame.enabled:
        commit = src.blame.commit(file, line)
        out["commit"] = commit.to_dict() if commit else None
    if src.history is not None:
        row = applied_row(right, src.history)
        out["applied"] = ({"seq": row.seq, "at": row.at, "actor": row.actor, "action": row.action,
                           "plan_digest": row.plan_digest, "hash": row.hash} if row else None)
    if src.outbox is not None:
        out["targets"] = [h.to_dict() for h in src.outbox.holdings(right)]
    return out


def person_dict(person: Person, rights: Iterable[Right], src: Sources) -> dict:
    return {"id": person.id, "name": person.name, "status": person.status, "offices": list(person.offices),
            "template": person.template, "end_date": person.end_date.isoformat() if person.end_date else None,
            "grants": grants_dict(person), "rights": [right_dict(r, src) for r in rights]}


def access_document(org: Org, people: Iterable[str], src: Sources,
                    rights: Mapping[str, list[Right]] | None = None) -> dict:
    """The access of `people` (ids of `org`) with provenance, as plain JSON data."""
    people = list(people)
    rights = rights or {pid: person_rights(org.persons[pid]) for pid in people}
    return {"format_version": FORMAT_VERSION, "org": org.id, "state": src.state,
            "git": bool(src.blame and src.blame.enabled),
            "people": [person_dict(org.persons[pid], rights[pid], src) for pid in people]}
