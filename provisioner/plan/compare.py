"""Compare desired resources with the applied state: set algebra on addresses.

desired − current = create, current − desired = deactivate (or delete for history-less
kinds), both = compare fields. A profile whose user type changes is replaced (TYPE002).
Pure: takes two mappings of resources, returns changes and the number of no-ops.
Invitations are not compared here (see `lifecycle.invitation_changes`).
"""

from __future__ import annotations

from typing import Mapping

from ..state.backend import Resource
from .changes import Action, Change, field_diff
from .resources import HISTORYLESS, kind_of

RETIRED_PREFIX = "x-"


def retire_email(email: str) -> str:
    """The e-mail an inactivated profile keeps so its replacement can take the original."""
    return email if email.startswith(RETIRED_PREFIX) else RETIRED_PREFIX + email


def retired(resource: Resource) -> Resource:
    attrs = dict(resource.attributes)
    if attrs.get("email"):
        attrs["email"] = retire_email(attrs["email"])
    return Resource(resource.address, resource.kind, attrs, "inactive")


def _deactivated(resource: Resource) -> Resource:
    return Resource(resource.address, resource.kind, resource.attributes, "inactive")


def _compare_one(address: str, want: Resource, have: Resource) -> Change:
    if kind_of(address) == "profile" and want.attributes.get("user_type") != have.attributes.get("user_type"):
        return Change(address, Action.REPLACE,
                      f"user type {have.attributes.get('user_type')} → {want.attributes.get('user_type')} "
                      "cannot change in place (TYPE002): a new profile is created and the old one is "
                      f"inactivated, its e-mail marked {retire_email(str(have.attributes.get('email')))}",
                      before=have, after=want, diff=field_diff(have, want))
    diff = field_diff(have, want)
    if not diff:
        return Change(address, Action.NOOP, before=have, after=want)
    if want.status != have.status:
        if want.active:
            return Change(address, Action.REACTIVATE, "status is active again in the config",
                          before=have, after=want, diff=diff)
        return Change(address, Action.DEACTIVATE, "status: inactive in the config (LIFE001: deactivated, "
                      "never deleted)", before=have, after=want, diff=diff)
    return Change(address, Action.UPDATE, "the config changed", before=have, after=want, diff=diff)


def _replaced_by_email(created: list[Change], removed: dict[str, Resource]) -> dict[str, str]:
    """New profiles that take the e-mail of a removed profile of another user type:
    new address -> old address (TYPE002)."""
    by_email = {str(r.attributes.get("email", "")).lower(): a for a, r in removed.items()
                if kind_of(a) == "profile" and r.active}
    pairs: dict[str, str] = {}
    for change in created:
        if change.kind != "profile":
            continue
        old = by_email.get(str(change.after.attributes.get("email", "")).lower())
        if old and removed[old].attributes.get("user_type") != change.after.attributes.get("user_type") \
                and old not in pairs.values():
            pairs[change.address] = old
    return pairs


def compare(desired: Mapping[str, Resource], current: Mapping[str, Resource]) -> tuple[list[Change], int]:
    """Changes (unordered, no-ops left out) and how many resources are unchanged."""
    current = {a: r for a, r in current.items() if kind_of(a) != "invitation" and "~" not in a}
    changes: list[Change] = []
    noops = 0
    for address in sorted(desired.keys() & current.keys()):
        change = _compare_one(address, desired[address], current[address])
        if change.action is Action.NOOP:
            noops += 1
        else:
            changes.append(change)

    created = [Change(a, Action.CREATE, "new in the config", after=desired[a])
               for a in sorted(desired.keys() - current.keys())]
    gone = {a: current[a] for a in sorted(current.keys() - desired.keys())}
    replacements = _replaced_by_email(created, gone)
    for change in created:
        old = replacements.get(change.address)
        if old:
            before = gone[old]
            change.action, change.replaces, change.before = Action.REPLACE, old, before
            change.reason = (f"replaces {old}: user type {before.attributes.get('user_type')} → "
                             f"{change.after.attributes.get('user_type')} with the same e-mail (TYPE002); "
                             f"{old} is inactivated and its e-mail marked "
                             f"{retire_email(str(before.attributes.get('email')))}")
            change.diff = field_diff(before, change.after)
        changes.append(change)
    replaced_by = {old: new for new, old in replacements.items()}

    for address, have in gone.items():
        if kind_of(address) in HISTORYLESS:
            person = desired.get(f"person.{have.attributes.get('person')}")
            reason = (f"person.{have.attributes.get('person')} is being deactivated: their memberships are "
                      "removed first (LIFE002)" if person is not None and not person.active
                      else "no longer in the config")
            changes.append(Change(address, Action.DELETE, reason, before=have))
        elif address in replaced_by:
            after = retired(have)
            changes.append(Change(address, Action.DEACTIVATE,
                                  f"replaced by {replaced_by[address]} (TYPE002); e-mail marked "
                                  f"{after.attributes['email']}", before=have, after=after,
                                  diff=field_diff(have, after)))
        elif have.active:
            after = _deactivated(have)
            changes.append(Change(address, Action.DEACTIVATE, "removed from the config (LIFE001: "
                                  "deactivated, never deleted)", before=have, after=after,
                                  diff=field_diff(have, after)))
        else:
            noops += 1  # already inactive and no longer configured: nothing to do
    return changes, noops
