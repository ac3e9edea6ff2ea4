"""Access reviews (certification, GOV005): per active person the review period, the date
the next review is due, and who should review (the grant's approver, else an office admin
of one of the person's offices, else a client admin). Pure; dates in, items out.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from ..model import Org, Person
from ..vocabulary import LIMITED_ADMIN_PERMISSIONS


@dataclass(frozen=True)
class ReviewItem:
    person: str
    name: str
    admin: bool  # admin authorization or limited EMR admin permission: the shorter period
    approved_by: str | None
    reviewed_on: dt.date | None
    period_days: int
    due: dt.date | None  # None: never reviewed (due now)
    reviewer: str
    reviewer_is: str  # approver | office admin | client admin | nobody

    def due_by(self, day: dt.date) -> bool:
        return self.due is None or self.due <= day


def is_admin(person: Person) -> bool:
    return bool(person.admin) or any(p.active and (p.admin or set(p.permissions) & set(LIMITED_ADMIN_PERMISSIONS))
                                     for p in person.profiles)


class Reviewers:
    """Fallback reviewers, found once per org."""

    def __init__(self, org: Org) -> None:
        self.office_admins: dict[str, list[Person]] = {}
        self.client_admins: list[Person] = []
        for p in org.persons.values():
            if not p.active:
                continue
            if "office_admin" in p.admin:
                for office in p.admin_offices:
                    self.office_admins.setdefault(office, []).append(p)
            if "client_admin_full" in p.admin:
                self.client_admins.insert(0, p)
            elif "client_admin_reporting" in p.admin:
                self.client_admins.append(p)

    def of(self, person: Person) -> tuple[str, str]:
        if person.grants and person.grants.approved_by:
            return person.grants.approved_by, "approver"
        for office in person.offices:
            for admin in self.office_admins.get(office, ()):
                if admin.id != person.id:
                    return admin.email, "office admin"
        for admin in self.client_admins:
            if admin.id != person.id:
                return admin.email, "client admin"
        return "unassigned", "nobody"


def review_items(org: Org) -> list[ReviewItem]:
    """One item per active person, in the config's order."""
    policy, reviewers = org.policy, Reviewers(org)
    out = []
    for p in org.persons.values():
        if not p.active:
            continue
        admin = is_admin(p)
        period = policy.admin_review_period_days if admin else policy.review_period_days
        reviewed = p.grants.reviewed_on if p.grants else None
        due = reviewed + dt.timedelta(days=period) if reviewed else None
        reviewer, kind = reviewers.of(p)
        out.append(ReviewItem(p.id, p.name, admin, p.grants.approved_by if p.grants else None, reviewed,
                              period, due, reviewer, kind))
    return out
