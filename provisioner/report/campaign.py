"""Access-review campaigns: the grants due within a window, grouped by reviewer, written
as Markdown or CSV; and a saved campaign's completion read back against today's config
(an item is done once the person's `reviewed_on` is on or after the campaign's date, or
the person is gone or inactive). Pure: model and text in, rows and text out.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import re
from dataclasses import dataclass

from ..model import Org, Person
from ..vocabulary import LIMITED_ADMIN_PERMISSIONS
from .reviews import ReviewItem, review_items

CSV_FIELDS = ("campaign", "reviewer", "reviewer_is", "person", "name", "kind", "holds", "last_review", "due")


class CampaignError(ValueError):
    """A window or a campaign file that cannot be read."""


def parse_window(text: str) -> int:
    """`30d`, `6w` or `30` -> days."""
    m = re.fullmatch(r"\s*(\d{1,9})\s*([dw]?)\s*", text)
    if not m:
        raise CampaignError(f"{text!r} is not a window such as 30d or 6w")
    days = int(m.group(1)) * (7 if m.group(2) == "w" else 1)
    if days > MAX_WINDOW_DAYS:
        raise CampaignError(f"{text!r} is more than {MAX_WINDOW_DAYS // 365} years; a review window is days or weeks")
    return days


MAX_WINDOW_DAYS = 36_500


def holds(person: Person) -> str:
    """What a reviewer is asked to confirm, in a few words."""
    parts = [person.account_type]
    parts += [f"{a} ({', '.join(person.admin_offices)})" if a == "office_admin" else a for a in person.admin]
    if person.front_office:
        parts.append(f"front office {person.front_office}")
    for p in person.profiles:
        if p.active:
            extra = [x for x in p.permissions if x in LIMITED_ADMIN_PERMISSIONS] + (["admin flag"] if p.admin else [])
            parts.append(f"EMR {p.user_type} at {p.default_clinic}" + (f" ({', '.join(extra)})" if extra else ""))
    return "; ".join(parts)


@dataclass(frozen=True)
class Campaign:
    opened: dt.date
    window_days: int
    items: tuple[ReviewItem, ...]

    def by_reviewer(self) -> dict[str, list[ReviewItem]]:
        out: dict[str, list[ReviewItem]] = {}
        for item in sorted(self.items, key=lambda i: (i.reviewer, i.due or dt.date.min, i.person)):
            out.setdefault(item.reviewer, []).append(item)
        return out


def campaign(org: Org, today: dt.date, window_days: int) -> Campaign:
    until = today + dt.timedelta(days=window_days)
    return Campaign(today, window_days, tuple(i for i in review_items(org) if i.due_by(until)))


def _due(item: ReviewItem, today: dt.date) -> str:
    if item.due is None:
        return "never reviewed"
    return f"{item.due} (overdue)" if item.due < today else str(item.due)


def markdown(c: Campaign, org: Org) -> str:
    out = [f"# Access review campaign, {org.organization.name}, opened {c.opened}", "",
           f"Grants due for review by {c.opened + dt.timedelta(days=c.window_days)} ({len(c.items)}), "
           "grouped by reviewer. Record a review by setting the person's `grants.reviewed_on` (or removing "
           "the access) in a pull request; `provisioner review ORG_DIR --campaign FILE` shows completion.", ""]
    for reviewer, items in c.by_reviewer().items():
        out += [f"## {reviewer} ({items[0].reviewer_is}): {len(items)}", "",
                "| person | kind | holds | last review | due |", "|---|---|---|---|---|"]
        for i in items:
            out.append(f"| {i.person} ({i.name}) | {'admin' if i.admin else 'user'} | "
                       f"{holds(org.persons[i.person])} | {i.reviewed_on or '—'} | {_due(i, c.opened)} |")
        out.append("")
    return "\n".join(out).rstrip() + "\n"


def to_csv(c: Campaign, org: Org) -> str:
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\n")
    w.writerow(CSV_FIELDS)
    for reviewer, items in c.by_reviewer().items():
        for i in items:
            w.writerow([c.opened, reviewer, i.reviewer_is, i.person, i.name, "admin" if i.admin else "user",
                        holds(org.persons[i.person]), i.reviewed_on or "", i.due or ""])
    return buf.getvalue()


@dataclass(frozen=True)
class Progress:
    opened: dt.date
    rows: tuple[tuple[str, str, str], ...]  # (reviewer, person, state: reviewed | removed | open)

    def done(self, reviewer: str | None = None) -> tuple[int, int]:
        rows = [r for r in self.rows if reviewer is None or r[0] == reviewer]
        return sum(r[2] != "open" for r in rows), len(rows)


def progress(org: Org, campaign_csv: str) -> Progress:
    """Completion of a campaign saved with `to_csv`, judged against `org` as it is now."""
    reader = csv.DictReader(io.StringIO(campaign_csv))
    if reader.fieldnames is None or not {"campaign", "reviewer", "person"} <= set(reader.fieldnames):
        raise CampaignError("not a campaign file: the header needs campaign, reviewer and person columns")
    rows, opened = [], None
    for n, row in enumerate(reader, 2):
        try:
            opened = dt.date.fromisoformat(row["campaign"])
        except (TypeError, ValueError):
            raise CampaignError(f"line {n}: campaign {row.get('campaign')!r} is not a date YYYY-MM-DD") from None
        p = org.persons.get(row["person"] or "")
        if p is None or not p.active:
            state = "removed"
        elif p.grants and p.grants.reviewed_on and p.grants.reviewed_on >= opened:
            state = "reviewed"
        else:
            state = "open"
        rows.append((row["reviewer"], row["person"], state))
    if opened is None:
        raise CampaignError("the campaign file lists no grants")
    return Progress(opened, tuple(rows))


def progress_text(p: Progress) -> str:
    done, total = p.done()
    out = [f"Campaign opened {p.opened}: {done} of {total} done ({100 * done // max(total, 1)}%)"]
    for reviewer in dict.fromkeys(r[0] for r in p.rows):
        d, t = p.done(reviewer)
        out.append(f"  {reviewer}: {d}/{t}")
        out += [f"    {state:<8} {person}" for rv, person, state in p.rows if rv == reviewer]
    return "\n".join(out)
