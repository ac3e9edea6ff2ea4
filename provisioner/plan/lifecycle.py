"""Plan-stage lifecycle rules and ordering: what compare alone cannot judge.

LIFE002 (provider removal needs a disposition), LIFE004 (office going live too soon),
LIFE006 (office removal strands a provider), LIFE007 (invitations for new accounts, re-sent
when expired, revoked with their account), EMAIL001 against the applied state, NOTE001
(tell the call center), the mass-change guard, and the order changes are applied in. Pure.
"""

from __future__ import annotations

import datetime as dt
from functools import lru_cache
from typing import Mapping

from ..diagnostics import Diagnostic, Origin, error, info, warning
from ..identifiers import normal_email
from ..rules.lifecycle import DISPOSITION_SHAPE
from ..state.backend import Resource
from .changes import field_diff, Action, Change
from .resources import ACCOUNT_KINDS, is_provider, name_of

INVITATION_DAYS = 2
GO_LIVE_NOTICE_DAYS = 7
MASS_CHANGE_CODE = "MASS001"
NOTE_LIMIT = 10  # provider changes named in one NOTE001 before "and N more"


def lifecycle_findings(changes: list[Change], desired: Mapping[str, Resource], current: Mapping[str, Resource],
                       origins: Mapping[str, Origin], today: dt.date) -> list[Diagnostic]:
    found: list[Diagnostic] = []
    for c in changes:
        if c.kind == "person" and c.action is Action.DEACTIVATE and (is_provider(c.before) or is_provider(c.after)):
            who = name_of(c.address)
            if c.address not in desired:
                found.append(error(
                    "LIFE002", f"provider {who!r} was removed from the config; a provider is never removed: "
                    f"keep the person with `status: inactive` and {DISPOSITION_SHAPE}", subject=who))
            elif not c.after.attributes.get("referral_disposition"):
                found.append(error(
                    "LIFE002", f"provider {who!r} is being deactivated but their open referrals have no "
                    f"disposition: add {DISPOSITION_SHAPE}",
                    origin=origins[c.address].at("status"), subject=who))
        if c.kind == "office" and c.action is Action.CREATE:
            go_live = c.after.attributes.get("go_live")
            if go_live:
                days = (dt.date.fromisoformat(go_live) - today).days
                if 0 <= days < GO_LIVE_NOTICE_DAYS:
                    found.append(warning(
                        "LIFE004", f"office {name_of(c.address)!r} goes live on {go_live}, {days} day(s) after "
                        f"the plan date {today}; create an office at least {GO_LIVE_NOTICE_DAYS} days before it "
                        "goes live", origin=origins[c.address].at("go_live"), subject=name_of(c.address)))
    found.extend(_stranded(changes, desired, current, origins))
    return found


def _stranded(changes, desired, current, origins) -> list[Diagnostic]:
    """LIFE006: removing an office leaves an active provider with no office."""
    removed = {name_of(c.address) for c in changes if c.kind == "office" and c.action.removes}
    if not removed:
        return []
    def offices_of(resources) -> dict[str, set[str]]:
        out: dict[str, set[str]] = {}
        for a, r in resources.items():
            if r.kind == "membership":
                person, office = name_of(a).split("@", 1)
                out.setdefault(person, set()).add(office)
        return out

    kept, had = offices_of(desired), offices_of(current)
    found = []
    for address, person in desired.items():
        if person.kind != "person" or not person.active or not is_provider(person):
            continue
        pid = name_of(address)
        lost = sorted(had.get(pid, set()) & removed)
        if lost and not kept.get(pid):
            found.append(error(
                "LIFE006", f"removing office {', '.join(map(repr, lost))} would leave active provider {pid!r} "
                "with no office: give them another office first, or deactivate them with a "
                "`referral_disposition`", origin=origins[address].at("offices"), subject=pid))
    return found


ACCOUNT_NAMES = {"person": "referral-platform accounts (people)", "profile": "EMR profiles"}


def mass_change(changes: list[Change], current: Mapping[str, Resource], limit: float,
                allowed: bool) -> list[Diagnostic]:
    """Refuse a plan deactivating more than `limit` of the active accounts of one kind:
    people and EMR profiles are counted apart, each against its own active count."""
    found = []
    counts = dict.fromkeys(ACCOUNT_KINDS, 0)
    for a, r in current.items():
        if r.kind in counts and r.status == "active" and "~" not in a:
            counts[r.kind] += 1
    for kind in ACCOUNT_KINDS:
        active = counts[kind]
        gone = [c for c in changes if c.kind == kind and c.action is Action.DEACTIVATE
                and not c.reason.startswith("replaced by")]
        if not active or len(gone) / active <= limit:
            continue
        text = (f"this plan deactivates {len(gone)} of {active} active {ACCOUNT_NAMES[kind]} "
                f"({len(gone) / active:.0%}), more than the policy's mass_change_limit of {limit:.0%}")
        if allowed:
            found.append(warning(MASS_CHANGE_CODE, text + " (allowed by --allow-mass-change)", subject=kind))
        else:
            found.append(error(MASS_CHANGE_CODE, text + "; if this is intended, plan again with "
                               "--allow-mass-change", subject=kind))
    return found


def reused_emails(changes: list[Change], desired: Mapping[str, Resource], current: Mapping[str, Resource],
                  origins: Mapping[str, Origin]) -> list[Diagnostic]:
    """EMAIL001 against the applied state: an account the config no longer has keeps its
    e-mail (LIFE001), so a new or changed account may not take it. Moves and TYPE002
    replacements hand their e-mail on and are not holders."""
    handed_on = {c.moved_from for c in changes if c.moved_from} | {c.replaces for c in changes if c.replaces}
    holders: dict[tuple[str, str], str] = {}
    gone = [(a, r) for a, r in current.items()
            if r.kind in ACCOUNT_KINDS and a not in desired and "~" not in a and a not in handed_on]
    for address, r in sorted(gone):
        if r.attributes.get("email"):
            holders.setdefault((r.kind, normal_email(str(r.attributes["email"]))), address)
    found = []
    for c in changes:
        if c.kind not in ACCOUNT_KINDS or c.after is None:
            continue
        email = str(c.after.attributes.get("email") or "")
        holder = holders.get((c.kind, normal_email(email)))
        if holder is None or (c.before is not None and normal_email(str(c.before.attributes.get("email"))) ==
                              normal_email(email)):
            continue
        what = "login" if c.kind == "person" else "profile"
        hint = (f"; if {name_of(c.address)!r} is {name_of(holder)!r} renamed, say so with "
                f"`previously: {name_of(holder)}` on the Person" if c.kind == "person" else "")
        found.append(error(
            "EMAIL001", f"{what} e-mail {email!r} is held by the deactivated account {holder} in the state "
            f"(deactivated accounts keep their e-mail, LIFE001){hint}; otherwise use another address",
            origin=origins[c.address].at("email") if c.address in origins else None, subject=name_of(c.address)))
    return found


def call_center_notes(changes: list[Change], desired: Mapping[str, Resource],
                      current: Mapping[str, Resource], origins: Mapping[str, Origin]) -> list[Diagnostic]:
    """NOTE001: provider changes at offices a call center serves (every other office of the
    org), with the call center's managing staff to tell (“Client Admin best practices”)."""
    # A call center that already works (it is in the state) hears about offices it already
    # serves; the first apply of an org, or a new office, is no change to the call center.
    centers = sorted(name_of(a) for a, r in desired.items() if r.kind == "office" and r.active
                     and r.attributes.get("call_center") and a in current)
    if not centers:
        return []
    touched: dict[str, set[str]] = {}
    renamed = {name_of(c.moved_from): name_of(c.address) for c in changes if c.action is Action.MOVE
               and c.kind == "person"}
    planned = {c.address for c in changes}
    for c in changes:
        if c.kind != "membership" or c.action not in (Action.CREATE, Action.DELETE):
            continue
        person, office = name_of(c.address).split("@", 1)
        other = renamed.get(person) or next((o for o, n in renamed.items() if n == person), None)
        if other and f"membership.{other}@{office}" in planned:
            continue  # a renamed provider at the same office: no change for the call center
        who = desired.get(f"person.{person}") or current.get(f"person.{person}")
        if is_provider(who) and office not in centers and f"office.{office}" in current:
            verb = "added at" if c.action is Action.CREATE else "removed from"
            touched.setdefault(person, set()).add(f"{verb} {office}")
    if not touched:
        return []
    listed = [f"{p} {', '.join(sorted(v))}" for p, v in sorted(touched.items())]
    changed = "; ".join(listed[:NOTE_LIMIT]) + (f"; and {len(listed) - NOTE_LIMIT} more" if len(listed) > NOTE_LIMIT
                                                else "")
    found = []
    for center in centers:
        staff = sorted(name_of(a) for a, r in desired.items() if r.kind == "person" and r.active
                       and r.attributes.get("call_center") == center)
        managers = [s for s in staff if set(desired[f"person.{s}"].attributes.get("admin") or ())
                    & {"client_admin_full", "client_admin_reporting", "office_admin"}]
        tell = managers or staff
        whom = (f"tell its managing staff: {', '.join(tell)}" if tell
                else "it has no designated staff in the config: tell whoever runs it")
        found.append(info("NOTE001", f"provider changes at offices call center {center!r} serves ({changed}); "
                          f"{whom} (“Client Admin best practices”: as soon as possible)",
                          origin=origins[f"office.{center}"].at("id"), subject=center))
    return found


def invitation_changes(changes: list[Change], current: Mapping[str, Resource], desired: Mapping[str, Resource],
                       today: dt.date, resend_expired: bool) -> list[Change]:
    """LIFE007: an invitation for every new active account; re-send expired ones on request.
    `sent_on`/`expires_on` are known after apply (None in the plan)."""
    out = []
    creating = (Action.CREATE, Action.REPLACE)  # Action.creates, without the property's call per change
    for c in changes:
        if c.action in creating and c.kind in ACCOUNT_KINDS and c.after.active:
            address = f"invitation.{c.address}"
            after = Resource(address, "invitation", {"account": c.address, "email": c.after.attributes["email"],
                                                     "sent_on": None, "expires_on": None}, "pending")
            before = current.get(address)
            out.append(Change(address, Action.UPDATE if before else Action.CREATE,
                              f"new account {c.address}: confirmation e-mail, expires {INVITATION_DAYS} days "
                              "after apply (LIFE007)", before=before, after=after,
                              diff=field_diff(before, after)))
    for c in changes:
        if c.action is not Action.DEACTIVATE or c.kind not in ACCOUNT_KINDS:
            continue
        inv = current.get(f"invitation.{c.address}")
        if inv is not None and inv.status == "pending":
            after = Resource(inv.address, "invitation", inv.attributes, "revoked")
            out.append(Change(inv.address, Action.DEACTIVATE, f"revoked: {c.address} is deactivated, so its "
                              "unconfirmed invitation can no longer be used (LIFE007)", before=inv, after=after,
                              diff=field_diff(inv, after)))
    for c in changes:
        if c.action is not Action.MOVE:
            continue
        inv = current.get(f"invitation.{c.moved_from}")
        if inv is not None:
            address = f"invitation.{c.address}"
            after = Resource(address, "invitation", {**inv.attributes, "account": c.address}, inv.status)
            out.append(Change(address, Action.MOVE, f"moved with its account from {c.moved_from}", before=inv,
                              after=after, diff=field_diff(inv, after), moved_from=inv.address))
    if resend_expired:
        planned = {c.address for c in out}
        for inv in expired_invitations(current, today):
            account = inv.attributes.get("account")
            want = desired.get(account)
            if inv.address in planned or want is None or not want.active:
                continue
            after = Resource(inv.address, "invitation", {**inv.attributes, "email": want.attributes["email"],
                                                         "sent_on": None, "expires_on": None}, "pending")
            out.append(Change(inv.address, Action.UPDATE,
                              f"invitation expired on {inv.attributes.get('expires_on')}; re-sent at apply, "
                              f"expires {INVITATION_DAYS} days later (LIFE007)", before=inv, after=after,
                              diff=field_diff(inv, after)))
    return out


def invitation_status(inv: Resource, today: dt.date, account: Resource | None = None) -> str:
    """pending, expired, or revoked (by a plan, or its account is no longer active)."""
    if inv.status == "revoked" or (account is not None and not account.active):
        return "revoked"
    expires = inv.attributes.get("expires_on")
    return "expired" if expires and _before(expires, today) else "pending"


@lru_cache(maxsize=1024)
def _before(day: str, today: dt.date) -> bool:
    """Whether the date `day` (ISO text) is before `today`: a state of 100,000 people holds
    as many invitations, sent on a few hundred days."""
    return dt.date.fromisoformat(day) < today


def expired_invitations(current: Mapping[str, Resource], today: dt.date) -> list[Resource]:
    """The expired invitations of the state, in address order."""
    found = [(a, r) for a, r in current.items()
             if r.kind == "invitation" and invitation_status(r, today) == "expired"]
    return [r for _, r in sorted(found)]


# -- ordering ---------------------------------------------------------------------------------
# Offices before the people who use them; membership removals before a provider's
# deactivation; replacement creations before inactivations of what they replace.
_ADD, _REMOVE = 0, 1
_PHASES = {
    (_ADD, "office"): 0, (_ADD, "insurance_plan"): 1, (_ADD, "person"): 2, (_ADD, "profile"): 3,
    (_ADD, "membership"): 4, (_ADD, "group"): 5, (_ADD, "group_member"): 6, (_ADD, "invitation"): 7,
    (_REMOVE, "group_member"): 8, (_REMOVE, "membership"): 9, (_REMOVE, "invitation"): 10,
    (_REMOVE, "profile"): 11, (_REMOVE, "person"): 12, (_REMOVE, "group"): 13,
    (_REMOVE, "insurance_plan"): 14, (_REMOVE, "office"): 15,
}


def order(changes: list[Change]) -> list[Change]:
    def key(c: Change):
        side = _REMOVE if c.action.removes else _ADD
        return (_PHASES[(side, c.kind)], c.address)
    return sorted(changes, key=key)
