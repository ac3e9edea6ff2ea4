"""The data behind the HTML report: the access document's tables plus the series its
charts draw (licence use per clinic, admin holders over time, review status, time to
deprovision). Pure and JSON-ready; `htmlreport` renders it.
"""

from __future__ import annotations

import datetime as dt
from typing import Iterable

from ..licence_pools import licence_pools
from ..model import Org
from ..state.backend import AuditRow
from ..vocabulary import FRONT_OFFICE_PERMISSIONS
from .campaign import holds
from .reviews import review_items
from .terminations import Departure

SOON_DAYS = 30


def licence_series(org: Org) -> list[dict]:
    return [{"clinic": office, "type": kind, "bought": pool.seats, "used": pool.used}
            for (office, kind), pool in licence_pools(org).items() if pool.used or pool.seats]


def admins_over_time(org: Org, audit: Iterable[AuditRow]) -> list[dict]:
    """Active admin holders after each apply that changed a person (from the audit log);
    without a state, one point from the config."""
    holders: set[str] = set()
    points: dict[str, int] = {}
    for row in audit:
        if not row.address.startswith("person.") or row.action.startswith("deliver:"):
            continue
        after = row.after if isinstance(row.after, dict) else {}
        pid = row.address.split(".", 1)[1]
        if after.get("status") == "active" and (after.get("attributes") or {}).get("admin"):
            holders.add(pid)
        else:
            holders.discard(pid)
        points[row.at] = len(holders)
    if not points:
        return [{"at": "config", "count": sum(1 for p in org.persons.values() if p.active and p.admin)}]
    return [{"at": at, "count": n} for at, n in points.items()]


def review_status(org: Org, today: dt.date) -> dict[str, int]:
    counts = {"overdue": 0, "never reviewed": 0, f"due within {SOON_DAYS} days": 0, "current": 0}
    soon = today + dt.timedelta(days=SOON_DAYS)
    for i in review_items(org):
        if i.due is None:
            counts["never reviewed"] += 1
        elif i.due < today:
            counts["overdue"] += 1
        elif i.due <= soon:
            counts[f"due within {SOON_DAYS} days"] += 1
        else:
            counts["current"] += 1
    return counts


def deprovision_series(departed: Iterable[Departure]) -> list[dict]:
    out = []
    for d in departed:
        hours = [s.hours for s in d.steps if s.hours is not None]
        if hours:
            out.append({"person": d.person, "hours": max(hours), "late": d.late})
    return out


def people_rows(org: Org, today: dt.date) -> list[dict]:
    items = {i.person: i for i in review_items(org)}
    rows = []
    for p in org.persons.values():
        i = items.get(p.id)
        rows.append({"id": p.id, "name": p.name, "status": p.status, "offices": ", ".join(p.offices),
                     "holds": holds(p), "approved_by": p.grants.approved_by if p.grants else None,
                     "reviewed_on": str(i.reviewed_on) if i and i.reviewed_on else None,
                     "due": str(i.due) if i and i.due else ("now" if i else None),
                     "overdue": bool(i and (i.due is None and i.admin or i.due and i.due < today))})
    return rows


def report_data(org: Org, today: dt.date, audit: list[AuditRow], departed: list[Departure]) -> dict:
    return {
        "org": org.organization.name, "org_id": org.id, "today": today.isoformat(),
        "policy_hours": org.policy.deprovision_within_hours,
        "licences": licence_series(org),
        "admins_over_time": admins_over_time(org, audit),
        "reviews": review_status(org, today),
        "deprovision": deprovision_series(departed),
        "people": people_rows(org, today),
        "front_office": {role: list(perms) for role, perms in FRONT_OFFICE_PERMISSIONS.items()},
        "waivers": [{"rule": w.rule, "subject": w.subject, "approved_by": w.approved_by,
                     "expires": w.expires.isoformat(), "expired": w.expires < today} for w in org.waivers],
    }
