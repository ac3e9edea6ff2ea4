"""ACCESS.md, the access document kept in the repository: each role's effective permission
set (FO003's minimum-necessary documentation), admin holders with approver and review
dates, licence seats per clinic, waivers, when reviews fall due, people per office.
Pure and independent of today's date, so `report --check` changes only with the config.
"""

from __future__ import annotations

from ..licence_pools import licence_pools
from ..model import Org
from ..vocabulary import (BILLER_PERMISSIONS, COUNTED_LICENSE_TYPES, FRONT_OFFICE_PERMISSIONS,
                          LIMITED_ADMIN_PERMISSIONS, ROLE_TEMPLATES, SCHEDULER_PERMISSIONS)
from .reviews import review_items

DESCRIPTIONS = {**SCHEDULER_PERMISSIONS, **BILLER_PERMISSIONS}


def _cell(value) -> str:
    text = "—" if value is None or value == "" else str(value)
    return text.replace("|", "\\|").replace("\n", " ")


def _table(head: list[str], rows: list[list]) -> list[str]:
    if not rows:
        return ["None.", ""]
    out = ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    out += ["| " + " | ".join(_cell(v) for v in row) + " |" for row in rows]
    return out + [""]


def _front_office(org: Org) -> list[str]:
    roles = list(FRONT_OFFICE_PERMISSIONS)
    holders = {role: [p.id for p in org.persons.values() if p.active and p.front_office == role] for role in roles}
    out = ["## Front Office roles: effective permission sets (FO003)", "",
           "What each sub-role can do (“Front Office Role”, docs/domain.md). A biller holds every scheduler permission plus the "
           "billing set; people without a `front_office` role hold none of them.", ""]
    rows = [[f"`{perm}`", DESCRIPTIONS[perm]] + ["yes" if perm in FRONT_OFFICE_PERMISSIONS[r] else "no" for r in roles]
            for perm in DESCRIPTIONS]
    out += _table(["permission", "what it allows"] + roles, rows)
    out += _table(["role", "permissions", "held by"],
                  [[r, len(FRONT_OFFICE_PERMISSIONS[r]), ", ".join(holders[r]) or None] for r in roles])
    return out


def _templates(org: Org) -> list[str]:
    used = {p.template for p in org.persons.values() if p.template}
    rows = [[f"`{name}`", t.get("account_type"), ", ".join(t.get("admin", [])) or None,
             "yes" if t.get("work_queue_chat") else "no",
             sum(1 for p in org.persons.values() if p.active and p.template == name)]
            for name, t in ROLE_TEMPLATES.items() if name in used]
    return ["## Role templates in use", "", "Fields a template supplies; a person's own fields win.", ""] + \
        _table(["template", "account type", "admin", "Work Queue & Chat", "active people"], rows)


def _admins(org: Org) -> list[str]:
    due = {i.person: i for i in review_items(org)}
    rows = []
    for p in org.persons.values():
        if not p.active:
            continue
        limited = sorted({perm for prof in p.profiles if prof.active
                          for perm in (prof.permissions + (LIMITED_ADMIN_PERMISSIONS if prof.admin else ()))
                          if perm in LIMITED_ADMIN_PERMISSIONS})
        if not p.admin and not limited:
            continue
        roles = [f"{r} ({', '.join(p.admin_offices)})" if r == "office_admin" else r for r in p.admin]
        g, item = p.grants, due[p.id]
        rows.append([p.id, "; ".join(roles + limited), g.approved_by if g else None,
                     g.justification if g else None, g.reviewed_on if g else None, item.due or "now (never reviewed)"])
    return ["## Admin holders", "", "Admin authorizations (“Types of par8o Accounts”) and limited EMR admin "
            "permissions (“Managing Users and Permissions (Large Organizations)”), with who approved them and "
            "when they are next reviewed (GOV002, GOV005).", ""] + \
        _table(["person", "rights", "approved by", "justification", "last review", "next review due"], rows)


def _licences(org: Org) -> list[str]:
    rows = []
    for (office, kind), pool in licence_pools(org).items():
        if pool.seats == 0 and not pool.used:
            continue
        bought = "unlimited" if pool.unlimited else pool.seats
        free = "unlimited" if pool.unlimited else pool.seats - pool.used
        rows.append([office, kind, bought, pool.used, free])
    return ["## Licence seats", "", f"Per clinic and licence type ({', '.join(COUNTED_LICENSE_TYPES)}): "
            "bought, used by active profiles whose default clinic it is, free (negative: over, LIC001).", ""] + \
        _table(["clinic", "type", "bought", "used", "free"], rows)


def _waivers(org: Org) -> list[str]:
    rows = [[w.rule, w.subject, w.approved_by, w.expires, w.justification]
            for w in sorted(org.waivers, key=lambda w: (w.expires, w.rule, w.subject))]
    return ["## Waivers", "", "Documented exceptions to one finding each, until they expire.", ""] + \
        _table(["rule", "subject", "approved by", "expires", "justification"], rows)


def _reviews(org: Org) -> list[str]:
    items = sorted(review_items(org), key=lambda i: (i.due is not None, i.due or "", i.person))
    rows = [[i.person, "admin" if i.admin else "user", i.period_days, i.reviewed_on,
             i.due or "now (never reviewed)", f"{i.reviewer} ({i.reviewer_is})"] for i in items]
    p = org.policy
    return ["## Access reviews", "", f"When each person's access is next due for review: last review plus "
            f"{p.admin_review_period_days} days for admins, {p.review_period_days} days for everyone else "
            "(GOV005). Dates before today are overdue; `provisioner review --due-within 30d` lists the "
            "coming campaign.", ""] + \
        _table(["person", "kind", "period (days)", "last review", "due", "reviewer"], rows)


def _people(org: Org) -> list[str]:
    out = ["## People per office", ""]
    rows = []
    for office in org.offices.values():
        people = [p.id for p in org.persons.values() if p.active and office.id in p.offices]
        staff = [p.id for p in org.persons.values() if p.active and p.call_center == office.id and office.id not in p.offices]
        rows.append([f"{office.name} (`{office.id}`)", len(people) + len(staff), ", ".join(people + staff) or None])
    whole = [p.id for p in org.persons.values() if p.active and not p.offices and not p.call_center]
    if whole:
        rows.append(["whole master group", len(whole), ", ".join(whole)])
    return out + _table(["office", "people", "who"], rows)


def access_markdown(org: Org, regenerate: str) -> str:
    """The whole document; `regenerate` is the command line that writes it."""
    out = [f"# Access at {org.organization.name}", "",
           f"Generated from the configuration by `{regenerate}`; do not edit by hand. CI runs it with "
           "`--check` and fails when this file is stale. Per-person detail with the line, commit and "
           "audit row of every right: `provisioner access ORG_DIR --all`.", ""]
    for section in (_front_office, _templates, _admins, _licences, _waivers, _reviews, _people):
        out += section(org)
    return "\n".join(out).rstrip() + "\n"
