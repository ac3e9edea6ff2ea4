"""What a plan means for each person, in words a reviewer reads in seconds ("Maria Lopez:
gains client_admin; leaves eastside-rehab"), from the plan document's changes alone.
Pure: no I/O; render.py puts the lines before the resource-level details."""

from __future__ import annotations

from collections import defaultdict


def _attrs(change: dict, side: str) -> dict:
    res = change.get(side) or {}
    return res.get("attributes") or {}


def _listed(before, after, gains: str, loses: str, what: str = "") -> list[str]:
    b, a = set(before or []), set(after or [])
    out = [f"{gains} {what}{', '.join(sorted(a - b))}"] if a - b else []
    return out + ([f"{loses} {what}{', '.join(sorted(b - a))}"] if b - a else [])


def _person(c: dict) -> list[str]:
    before, after = _attrs(c, "before"), _attrs(c, "after")
    action = c["action"]
    if action == "create":
        role = after.get("front_office")
        return [f"new account ({after.get('account_type') or after.get('template') or 'person'})"] + \
            _listed([], after.get("admin"), "with admin", "") + ([f"front-office role {role}"] if role else [])
    if action == "deactivate":
        return ["deactivated: loses every access"]
    if action == "reactivate":
        return ["reactivated"]
    out = _listed(before.get("admin"), after.get("admin"), "gains admin", "loses admin")
    out += _listed(before.get("admin_offices"), after.get("admin_offices"), "administers", "no longer administers")
    if before.get("front_office") != after.get("front_office"):
        out.append(f"front-office role {before.get('front_office') or 'none'} → {after.get('front_office') or 'none'}")
    if before.get("account_type") != after.get("account_type"):
        out.append(f"account type {before.get('account_type')} → {after.get('account_type')}")
    rest = sorted({d["path"].split(".")[0].split("[")[0] for d in c.get("diff", ())}
                  - {"admin", "admin_offices", "front_office", "account_type", "status"})
    return out + ([f"updates {', '.join(rest)}"] if rest else [])


def _profile(c: dict) -> list[str]:
    before, after = _attrs(c, "before"), _attrs(c, "after")
    name = c["address"].split(".", 1)[1]
    action = c["action"]
    if action == "create":
        return [f"new EMR profile {name} ({after.get('user_type')}{', EMR admin' if after.get('admin') else ''})"]
    if action == "replace":
        return [f"EMR profile {name} becomes {after.get('user_type')} (was {before.get('user_type')})"]
    if action in ("deactivate", "reactivate", "delete"):
        return [f"EMR profile {name} {action}d"]
    out = _listed(before.get("permissions"), after.get("permissions"), "gains", "loses", f"{name} permissions ")
    if bool(before.get("admin")) != bool(after.get("admin")):  # the EMR's own admin right
        out.append(f"{'gains' if after.get('admin') else 'loses'} EMR admin on {name}")
    out += _listed(before.get("clinics"), after.get("clinics"), "EMR access at", "no EMR access at")
    return out or [f"EMR profile {name} updated"]


def _owner(c: dict) -> str | None:
    kind, name = c["address"].split(".", 1)
    if kind == "person":
        return name
    if kind == "profile":
        return (_attrs(c, "after") or _attrs(c, "before")).get("person")
    if kind == "membership":
        return name.split("@", 1)[0]
    if kind == "group_member":
        return name.split("/", 1)[1]
    return None


def unnamed_people(changes) -> list[str]:
    """The people a plan changes only through what they hold (an EMR profile, a membership,
    a group), whose own record it leaves alone: their names are not in the changes, so the
    plan document carries them (`people_lines` names everyone)."""
    named, owners = set(), set()
    for c in changes:
        if c["kind"] == "person":
            named.add(c["address"].split(".", 1)[1])
        elif c["kind"] in ("profile", "membership", "group_member"):
            owner = _owner(c)
            if owner is not None:
                owners.add(owner)
    return sorted(owners - named)


def people_lines(document: dict) -> list[dict]:
    """[{"id", "name", "what": [phrase, …]}] per person the plan touches, in plan order."""
    names, offices, what = dict(document.get("names") or {}), {}, defaultdict(list)
    for c in document["changes"]:
        kind, name = c["address"].split(".", 1)
        attrs = _attrs(c, "after") or _attrs(c, "before")
        if kind == "person":
            names[name] = attrs.get("name") or name
        elif kind == "office":
            offices[name] = attrs.get("name") or name
    for c in document["changes"]:
        person = _owner(c)
        if person is None:
            continue
        kind, name = c["address"].split(".", 1)
        if kind == "person":
            what[person] += _person(c)
        elif kind == "profile":
            what[person] += _profile(c)
        elif kind == "membership":
            office = name.split("@", 1)[1]
            what[person].append(("joins " if c["action"] == "create" else "leaves ") + offices.get(office, office))
        elif kind == "group_member":
            group = name.split("/", 1)[0]
            what[person].append(("joins group " if c["action"] == "create" else "leaves group ") + group)
    return [{"id": p, "name": names.get(p, p), "what": phrases} for p, phrases in what.items() if phrases]


def touched_ids(document: dict) -> set[str]:
    """The ids this plan changes: people, offices, profiles and groups, from its addresses."""
    out = set()
    for c in document["changes"]:
        kind, name = c["address"].split(".", 1)
        if kind == "membership":
            out.update(name.split("@", 1))
        elif kind == "group_member":
            out.update(name.split("/", 1))
        elif kind != "invitation":
            out.add(name)
    return out


# Findings only a change raises, whatever their subject: NOTE001 names the call center to tell
# about providers this plan adds or removes elsewhere.
RAISED_BY_THE_CHANGE = frozenset({"NOTE001"})


def split_findings(document: dict) -> tuple[list[dict], list[dict]]:
    """(findings about what this change touches, the others): errors always come first, and
    a finding without a subject counts as touched (it may be the change's own)."""
    touched = touched_ids(document)
    mine, others = [], []
    for d in document.get("diagnostics", []):
        about = d.get("subject")
        if d.get("severity") == "error" or not about or about in touched or d.get("code") in RAISED_BY_THE_CHANGE:
            mine.append(d)
        else:
            others.append(d)
    return mine, others
