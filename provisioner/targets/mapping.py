"""What each target receives: the state's resources projected onto a target's objects
(users and groups, in neutral attribute names), and the operations a set of state writes
owes each target. Pure: resources in, objects and operation specs out.

A person's referral account and front-office role are one user (`person.<id>`); each EMR
profile is its own user (`profile.<id>`); offices and referral groups are groups when the
target takes groups. `scim` and `changefile` turn these neutral objects into their formats.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from typing import Iterable, Mapping

from ..model import Target
from ..state.backend import Resource

PERSON_FACETS = ("referral_accounts", "front_office_roles")
# Domain attributes a target holds: when the config clears one, the target's copy is cleared.
HELD = ("offices", "account_type", "admin", "admin_offices", "call_center", "work_queue_chat", "npi", "specialty",
        "front_office_role", "user_type", "clinics", "default_clinic", "permissions", "emr_admin")
ARCHIVE_MARK = "~"  # `profile.<id>~<serial>`: an EMR profile retired by an in-place replace (TYPE002)


def _kind(key: str) -> str:
    return key.split(".", 1)[0]


def _name(key: str) -> str:
    return key.split(".", 1)[1]


def split_name(name: str) -> tuple[str, str]:
    """(given, family) of a display name; credentials after a comma ("David Okonkwo, DO")
    are part of neither."""
    base = name.split(",", 1)[0].strip()
    if not base:
        return name.strip(), ""
    parts = base.split(None, 1)
    return (parts[0], parts[1]) if len(parts) == 2 else (base, "")


def _clean(obj: dict, keep: tuple[str, ...] = ()) -> dict:
    """Drop unset values, except the attributes in `keep`: those the target holds for this
    object, which stay as None or [] so that a right taken away is taken away there too."""
    return {k: v for k, v in obj.items() if k in keep or (v is not None and v != [] and v != "")}


class Index:
    """Memberships by person and office, group members by group: built once per state."""

    def __init__(self, resources: Mapping[str, Resource]) -> None:
        self.resources = resources
        self.offices_of: dict[str, list[str]] = defaultdict(list)
        self.people_at: dict[str, list[str]] = defaultdict(list)
        self.members_of: dict[str, list[str]] = defaultdict(list)
        for address, r in resources.items():
            kind = _kind(address)
            # .get: a membership of a forged state may lack its fields; it then joins nothing
            if kind == "membership" and r.active:
                a = r.attributes
                person, office = a.get("person"), a.get("office")
                if person is not None and office is not None:
                    self.offices_of[person].append(office)
                    self.people_at[office].append(person)
            elif kind == "group_member" and r.active:
                a = r.attributes
                if a.get("group") is not None and a.get("person") is not None:
                    self.members_of[a["group"]].append(a["person"])


def person_user(target: Target, r: Resource, index: Index) -> dict | None:
    a = r.attributes
    facets = set(target.receives)
    if "referral_accounts" not in facets and not ("front_office_roles" in facets and a.get("front_office")):
        return None
    given, family = split_name(str(a.get("name", "")))
    user = {
        "external_id": _name(r.address), "user_name": a.get("email"), "display_name": a.get("name"),
        "given_name": given, "family_name": family, "email": a.get("email"), "active": r.active,
        "offices": sorted(index.offices_of.get(_name(r.address), ())),
    }
    if "referral_accounts" in facets:
        user.update({
            "account_type": a.get("account_type"), "admin": list(a.get("admin") or ()),
            "admin_offices": list(a.get("admin_offices") or ()), "call_center": a.get("call_center"),
            "work_queue_chat": a.get("work_queue_chat"), "npi": a.get("npi"), "specialty": a.get("specialty"),
        })
    if "front_office_roles" in facets:
        user["front_office_role"] = a.get("front_office")
    return _clean(user, keep=HELD)


def profile_user(target: Target, r: Resource, index: Index) -> dict | None:
    if "emr_profiles" not in target.receives:
        return None
    a = r.attributes
    person = index.resources.get(f"person.{a.get('person')}")
    name = str(person.attributes.get("name", "")) if person else ""
    given, family = split_name(name)
    return _clean({
        "external_id": _name(r.address), "user_name": a.get("email"), "display_name": name,
        "given_name": given, "family_name": family, "email": a.get("email"), "active": r.active,
        "user_type": a.get("user_type"), "clinics": list(a.get("clinics") or ()),
        "default_clinic": a.get("default_clinic"), "permissions": list(a.get("permissions") or ()),
        "emr_admin": a.get("admin"), "person": a.get("person"),
        "npi": person.attributes.get("npi") if person else None,
    }, keep=HELD)


def office_group(target: Target, r: Resource, index: Index) -> dict | None:
    if not target.groups:
        return None
    office = _name(r.address)
    members = index.people_at.get(office, ()) if r.active else ()
    return {"external_id": r.address, "display_name": r.attributes.get("name") or office,
            "members": sorted(f"person.{p}" for p in members)}


def referral_group(target: Target, r: Resource, index: Index) -> dict | None:
    if not target.groups:
        return None
    group = _name(r.address)
    return {"external_id": r.address, "display_name": r.attributes.get("name") or group,
            "members": sorted(f"person.{p}" for p in index.members_of.get(group, ()))}


PROJECTIONS = {"person": ("user", person_user), "profile": ("user", profile_user),
               "office": ("group", office_group), "group": ("group", referral_group)}


def project(target: Target, key: str, index: Index) -> tuple[str, dict] | None:
    """The object `key` is at `target` in this state, as (user|group, attributes), or None."""
    r = index.resources.get(key)
    kind = _kind(key)
    if r is None or kind not in PROJECTIONS:
        return None
    obj, build = PROJECTIONS[kind]
    built = build(target, r, index)
    return (obj, built) if built is not None else None


def _profiles_by_person(*states: Mapping[str, Resource]) -> dict[str, list[str]]:
    """person id -> the addresses of their EMR profiles, in any of `states`."""
    out: dict[str, list[str]] = defaultdict(list)
    for state in states:
        for address, r in state.items():
            if address.startswith("profile.") and ARCHIVE_MARK not in address:
                person = r.attributes.get("person")
                if person is not None and address not in out[person]:
                    out[person].append(address)
    return out


def affected_keys(addresses: Iterable[str], before: Mapping[str, Resource],
                  after: Mapping[str, Resource]) -> list[str]:
    """The target objects that state writes to `addresses` can change, in first-seen order.
    A person's profiles are among them: an EMR user carries its person's name and NPI."""
    seen: dict[str, None] = {}
    people: list[str] = []
    for address in addresses:
        kind = _kind(address)
        if kind in ("person", "profile", "office", "group"):
            seen[address] = None
        if kind == "person":
            people.append(_name(address))
        elif kind == "membership":
            a = (after.get(address) or before.get(address)).attributes
            seen[f"person.{a.get('person')}"] = None
            seen[f"office.{a.get('office')}"] = None
        elif kind == "group_member":
            r = after.get(address) or before.get(address)
            seen[f"group.{r.attributes.get('group')}"] = None
    if people:  # after the rest: a person's profiles written in this apply keep their place
        profiles = _profiles_by_person(before, after)
        for person in people:
            for profile in profiles.get(person, ()):
                seen.setdefault(profile, None)
    return list(seen)


@dataclass(frozen=True)
class OpSpec:
    """An operation before it has an id: what apply records in the outbox."""

    target: str
    key: str
    object: str
    action: str
    payload: dict
    takes_over: str | None = None
    depends_on_key: str | None = None


def _action(before: dict | None, after: dict) -> str | None:
    if before is None:
        return "create" if after.get("active", True) else None
    if before == after:
        return None
    if "active" in after and after["active"] != before.get("active"):
        return "reactivate" if after["active"] else "deactivate"
    return "update"


def owed(targets: Iterable[Target], before: Mapping[str, Resource], after: Mapping[str, Resource],
         addresses: Iterable[str], moves: Mapping[str, str] | None = None) -> list[OpSpec]:
    """The operations that writes to `addresses` (state `before` → `after`) owe each target:
    retirements first (they free a login), then users, then groups (they need their members).
    `moves`: new address -> old address of each account re-addressed (ID001): at a target that
    held the old one, the account is moved (it takes over the old one's account there: its
    external id and attributes updated), never deactivated and created again."""
    moves = moves or {}
    moved_to = {old_key: new_key for new_key, old_key in moves.items()}
    addresses = list(addresses)
    if not addresses:
        return []
    keys = affected_keys(addresses, before, after)
    old, new = Index(before), Index(after)
    out: list[OpSpec] = []
    # `profile.x~3` in this batch, new: profile.x is replaced in place (TYPE002); looked up once
    archived_of: dict[str, str] = {}
    for k in keys:
        if ARCHIVE_MARK in k:
            archived_of.setdefault(k.split(ARCHIVE_MARK, 1)[0], k)
    fresh_archive = {k.split(ARCHIVE_MARK, 1)[0] for k in keys if ARCHIVE_MARK in k and k not in before}
    for target in targets:
        retire, users, groups = [], [], []
        for key in keys:
            if ARCHIVE_MARK in key:
                live = key.split(ARCHIVE_MARK, 1)[0]
                got = project(target, key, new)
                if got is not None and key not in before:
                    retire.append(OpSpec(target.id, key, "user", "retire", got[1], takes_over=live))
                continue
            was, now = project(target, key, old), project(target, key, new)
            if now is None:
                if key in moved_to and _moves_here(target, key, moved_to[key], old, new):
                    continue  # the account goes on under its new address (its `move` below)
                if was is not None and was[0] == "user" and was[1].get("active", True):
                    payload = {**was[1], "active": False}
                    users.append(OpSpec(target.id, key, "user", "deactivate", payload))
                continue
            if was is None and key in moves and _moves_here(target, moves[key], key, old, new):
                users.append(OpSpec(target.id, key, now[0], "move", now[1], takes_over=moves[key]))
                continue
            archived = key in fresh_archive
            action = "create" if archived and now[1].get("active", True) else _action(
                was[1] if was else None, now[1])
            if action is None:
                continue
            spec = OpSpec(target.id, key, now[0], action, now[1],
                          depends_on_key=archived_of.get(key) if archived else None)
            (groups if now[0] == "group" else users).append(spec)
        out += retire + _after_freed_logins(users, old, target) + groups
    return out


def _moves_here(target: Target, old_key: str, new_key: str, old: Index, new: Index) -> bool:
    """Whether `target` held the user at `old_key` and holds it, as a user, at `new_key`."""
    was, now = project(target, old_key, old), project(target, new_key, new)
    return was is not None and now is not None and was[0] == now[0] == "user"


def _after_freed_logins(users: list[OpSpec], old: Index, target: Target) -> list[OpSpec]:
    """A user that takes a login another user gives up in the same batch (a profile replaced
    with an e-mail takeover, TYPE002, or two people swapping addresses) waits for that one."""
    freed = {}
    for spec in users:
        was = project(target, spec.key, old)
        if was and was[1].get("user_name") and was[1].get("user_name") != spec.payload.get("user_name"):
            freed[str(was[1]["user_name"]).lower()] = spec.key
    if not freed:
        return users
    out = []
    for spec in users:
        holder = freed.get(str(spec.payload.get("user_name", "")).lower())
        if holder and holder != spec.key and spec.depends_on_key is None:
            spec = OpSpec(spec.target, spec.key, spec.object, spec.action, spec.payload, spec.takes_over, holder)
        out.append(spec)
    return sorted(out, key=lambda s: s.depends_on_key is not None)


def after_state(before: Mapping[str, Resource], writes: Iterable) -> dict[str, Resource]:
    """The resources once `writes` (state Write records) are applied to `before`."""
    out = dict(before)
    for w in writes:
        if w.resource is None:
            out.pop(w.address, None)
        else:
            out[w.address] = w.resource
    return out
