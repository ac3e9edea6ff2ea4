"""Compare desired resources with the applied state: set algebra on addresses.

desired − current = create, current − desired = deactivate (or delete for history-less
kinds), both = compare fields. A profile whose user type changes is replaced (TYPE002); a
person that says `previously: OLD` takes over the applied account `person.OLD` (a move, with
the profiles that keep their e-mail). Pure: two mappings of resources in, changes and the
number of no-ops out.
Invitations are not compared here (see `lifecycle.invitation_changes`).
"""

from __future__ import annotations

import re
from typing import Container, Mapping

from ..canonical import canonical_strict, strict_each
from ..identifiers import normal_email
from ..state.backend import Resource
from .changes import Action, Change, field_diff
from .resources import HISTORYLESS, name_of

RETIRED_PREFIX = "x-"
_RETIRED = re.compile(r"x[0-9]*-")


def retire_email(email: str, taken: Container[str] = ()) -> str:
    """The e-mail an inactivated profile keeps so its replacement can take the original:
    `x-` + the address, or `x2-`, `x3-` ... when an earlier replacement already holds the
    mark (PTA → PT → PTA keeps every marked e-mail unique, EMAIL001). `taken` holds the
    normalised e-mails of the state's profiles."""
    if _RETIRED.match(email):
        return email
    n = 1
    while True:
        marked = f"x{n if n > 1 else ''}-{email}"
        if normal_email(marked) not in taken:
            return marked
        n += 1


def retired(resource: Resource, email: str | None = None) -> Resource:
    """`resource` inactivated with its e-mail marked (`email`: the mark the plan chose)."""
    attrs = dict(resource.attributes)
    if attrs.get("email"):
        attrs["email"] = email or retire_email(attrs["email"])
    return Resource(resource.address, resource.kind, attrs, "inactive")


def taken_emails(current: Mapping[str, Resource]) -> set[str]:
    return {normal_email(str(email)) for r in current.values()
            if r.kind == "profile" and (email := r.attributes.get("email"))}


class _Taken:
    """taken_emails(current), worked out at the first question: most plans retire no e-mail,
    and it reads every profile of the state."""

    def __init__(self, current: Mapping[str, Resource]) -> None:
        self._current, self._emails = current, None

    def __contains__(self, email: object) -> bool:
        if self._emails is None:
            self._emails = taken_emails(self._current)
        return email in self._emails


_ASK = object()


def unchanged(want: Resource, have: Resource, wanted_text: str | None | object = _ASK) -> bool:
    """Whether a stored resource already holds what is wanted, told from the canonical JSON
    text the state keeps (state/backend.py StoredResource) without decoding it: equal text
    is equal content. Only plain JSON values are told this way (the audit log's encoder
    would spell a date or a set as a string, and NaN as no JSON); False means "compare the
    decoded fields". `wanted_text`: `canonical_strict(want.attributes)` worked out by the
    caller (None where it raised)."""
    text = getattr(have, "attributes_text", None)
    if text is None or want.status != have.status:
        return False
    if wanted_text is _ASK:
        try:
            wanted_text = canonical_strict(want.attributes)
        except (TypeError, ValueError):
            return False
    return wanted_text is not None and wanted_text == text


def _deactivated(resource: Resource) -> Resource:
    return Resource(resource.address, resource.kind, resource.attributes, "inactive")


def _compare_one(address: str, want: Resource, have: Resource, taken: Container[str] = ()) -> Change:
    if want.kind == "profile" and want.attributes.get("user_type") != have.attributes.get("user_type"):
        marked = retire_email(str(have.attributes.get("email")), taken)
        return Change(address, Action.REPLACE,
                      f"user type {have.attributes.get('user_type')} → {want.attributes.get('user_type')} "
                      "cannot change in place (TYPE002): a new profile is created and the old one is "
                      f"inactivated, its e-mail marked {marked}",
                      before=have, after=want, diff=field_diff(have, want), retired_email=marked)
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


def _same_person(old: Resource, new: Resource, moved: Mapping[str, str]) -> bool:
    """Both profiles belong to one person (under its old id, when the person moved)."""
    before, after = old.attributes.get("person"), new.attributes.get("person")
    return before == after or moved.get(f"person.{after}") == f"person.{before}"


def _by_email(created: list[Change], removed: dict[str, Resource], moved: Mapping[str, str],
              same_type: bool) -> dict[str, str]:
    """New profiles that take the e-mail of a removed active profile of the same person:
    new address -> old address. Of another user type that is a replace (TYPE002); of the
    same user type, when the person moved, it is the profile moving with them."""
    by_email = {normal_email(str(r.attributes.get("email", ""))): a for a, r in removed.items()
                if r.kind == "profile" and r.active}
    pairs: dict[str, str] = {}
    for change in created:
        if change.kind != "profile":
            continue
        old = by_email.get(normal_email(str(change.after.attributes.get("email", ""))))
        if not old or old in pairs.values() or not _same_person(removed[old], change.after, moved):
            continue
        if (removed[old].attributes.get("user_type") == change.after.attributes.get("user_type")) is same_type:
            if same_type and moved.get(f"person.{change.after.attributes.get('person')}") is None:
                continue
            pairs[change.address] = old
    return pairs


def _moved_people(created: list[Change], gone: Mapping[str, Resource]) -> dict[str, str]:
    """person.NEW -> person.OLD for each new person whose `previously: OLD` names an account
    of the state that the config no longer has (ID001: an announced rename)."""
    out: dict[str, str] = {}
    for change in created:
        old = change.after.attributes.get("previously") if change.kind == "person" else None
        if old and f"person.{old}" in gone and f"person.{old}" not in out.values():
            out[change.address] = f"person.{old}"
    return out


def _as_move(change: Change, old: str, before: Resource, why: str) -> None:
    change.action, change.moved_from, change.before = Action.MOVE, old, before
    change.reason = f"moved from {old} ({why}): the same account under a new address; no deactivation, no " \
                    "new invitation"
    change.diff = field_diff(before, change.after)


def _address(change: Change) -> str:
    return change.address


def compare(desired: Mapping[str, Resource], current: Mapping[str, Resource]) -> tuple[list[Change], int]:
    """Changes (unordered, no-ops left out) and how many resources are unchanged."""
    taken = _Taken(current)
    current = {a: r for a, r in current.items() if r.kind != "invitation" and "~" not in a}
    changes: list[Change] = []
    noops = 0
    # Most resources are unchanged: they are told so in no particular order, a thousand texts to
    # an encoder call, and only the changes are put in address order.
    common = [(address, want, have) for address, want in desired.items() if (have := current.get(address)) is not None]
    texts = strict_each([want.attributes for _, want, _ in common])
    for (address, want, have), text in zip(common, texts):
        if unchanged(want, have, text):
            noops += 1
            continue
        change = _compare_one(address, want, have, taken)
        if change.action is Action.NOOP:
            noops += 1
        else:
            changes.append(change)
    changes.sort(key=_address)

    created = [Change(a, Action.CREATE, "new in the config", after=desired[a])
               for a in sorted(desired.keys() - current.keys())]
    gone = {a: current[a] for a in sorted(current.keys() - desired.keys())}
    moved = _moved_people(created, gone)
    moved.update(_by_email(created, gone, moved, same_type=True))
    replacements = _by_email(created, gone, moved, same_type=False)
    marks: dict[str, str] = {}
    for change in created:
        old = replacements.get(change.address)
        if change.address in moved:
            old = moved[change.address]
            why = (f"`previously: {name_of(old)}`, ID001" if change.kind == "person"
                   else "its person moved; same e-mail and user type")
            _as_move(change, old, gone[old], why)
        elif old:
            before = gone[old]
            marks[old] = retire_email(str(before.attributes.get("email")), taken)
            change.action, change.replaces, change.before = Action.REPLACE, old, before
            change.reason = (f"replaces {old}: user type {before.attributes.get('user_type')} → "
                             f"{change.after.attributes.get('user_type')} with the same e-mail (TYPE002); "
                             f"{old} is inactivated and its e-mail marked {marks[old]}")
            change.diff = field_diff(before, change.after)
        changes.append(change)
    replaced_by = {old: new for new, old in replacements.items()}
    moved_away = set(moved.values())

    for address, have in gone.items():
        if address in moved_away:
            continue
        if have.kind in HISTORYLESS:
            person = desired.get(f"person.{have.attributes.get('person')}")
            reason = (f"person.{have.attributes.get('person')} is being deactivated: their memberships are "
                      "removed first (LIFE002)" if person is not None and not person.active
                      else "no longer in the config")
            changes.append(Change(address, Action.DELETE, reason, before=have))
        elif address in replaced_by:
            after = retired(have, marks[address])
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
