"""Turn schema-valid documents into the typed `Org` model, resolving every reference.

Unknown offices, persons, plans and call centers, and ids used twice, become located
findings with suggestions. Pure: takes documents, returns the model and findings.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from typing import Iterable

from .diagnostics import Diagnostic, Origin, error
from .model import (
    Attestation, Disposition, Grant, Group, Insurance, InsurancePlan, Office, Org, Organization,
    Person, Policy, Profile, Target, Waiver,
)
from .schemacheck import did_you_mean
from .vocabulary import COUNTED_LICENSE_TYPES, ROLE_TEMPLATES
from .yamlsource import Document

KIND_ORDER = ("Organization", "Office", "InsurancePlan", "Person", "Group", "Waiver")


def _date(value: str | None) -> dt.date | None:
    return dt.date.fromisoformat(value) if value else None


def _licenses(value) -> dict[str, int | None]:
    if value == "unlimited":
        return {t: None for t in COUNTED_LICENSE_TYPES}
    value = value or {}
    return {t: (None if value[t] == "unlimited" else value[t]) for t in COUNTED_LICENSE_TYPES if t in value}


def _policy(data: dict) -> Policy:
    defaults = Policy()
    return Policy(
        max_client_admins=data.get("max_client_admins", defaults.max_client_admins),
        mass_change_limit=data.get("mass_change_limit", defaults.mass_change_limit),
        unmanaged_accounts=data.get("unmanaged_accounts", defaults.unmanaged_accounts),
        review_period_days=data.get("review_period_days", defaults.review_period_days),
        admin_review_period_days=data.get("admin_review_period_days", defaults.admin_review_period_days),
        deprovision_within_hours=data.get("deprovision_within_hours", defaults.deprovision_within_hours),
        permission_limits=dict(data.get("permission_limits", {})),
        separation_of_duties=tuple(tuple(p) for p in data["separation_of_duties"])
        if "separation_of_duties" in data else defaults.separation_of_duties,
        severity=dict(data.get("severity", {})),
    )


def _organization(d: dict, origin: Origin) -> Organization:
    return Organization(d["id"], d["name"], d["master_group"], _policy(d.get("policy", {})),
                        dict(d.get("vars", {})), origin)


def _office(d: dict, origin: Origin) -> Office:
    return Office(d["id"], d["name"], _date(d.get("go_live")), d.get("call_center", False),
                  d.get("mips", "none"), d.get("virtual_visits", False), _licenses(d.get("licenses")), origin)


def _profile(d: dict, person_id: str, person_status: str, origin: Origin) -> Profile:
    att = d.get("attestation")
    status = d.get("status", "active") if person_status == "active" else "inactive"
    return Profile(
        id=d["id"], person_id=person_id, user_type=d["user_type"], email=d["email"], status=status,
        clinics=tuple(d["clinics"]), default_clinic=d["default_clinic"],
        permissions=tuple(d.get("permissions", ())), admin=d.get("admin", False),
        mips=d.get("mips", False), virtual_visits=d.get("virtual_visits", False),
        signature=d.get("signature"),
        attestation=Attestation(att["by"], _date(att["date"])) if att else None,
        supervisor=d.get("supervisor"), end_date=_date(d.get("end_date")), origin=origin,
    )


_NOTHING: frozenset = frozenset()


def _person(d: dict, origin: Origin) -> Person:
    template = d.get("template")
    if template is None:  # most people: the document as it is
        filled, merged = _NOTHING, d
    else:
        filled = {k: v for k, v in ROLE_TEMPLATES.get(template, {}).items() if k not in d}
        merged = {**filled, **d}
    status = merged.get("status", "active")
    ins, grants, disp = merged.get("insurance"), merged.get("grants"), merged.get("referral_disposition")
    return Person(
        id=merged["id"], name=merged["name"], email=merged["email"], status=status,
        account_type=merged["account_type"], offices=tuple(merged.get("offices", ())),
        admin=tuple(merged.get("admin", ())),
        # An office admin administers their own offices unless `admin_offices` narrows it.
        admin_offices=tuple(merged.get("admin_offices", merged.get("offices", ())
                                       if "office_admin" in merged.get("admin", ()) else ())),
        call_center=merged.get("call_center"), work_queue_chat=merged.get("work_queue_chat", False),
        front_office=merged.get("front_office"), npi=merged.get("npi"), specialty=merged.get("specialty"),
        profile_approved=merged.get("profile_approved"),
        insurance=Insurance(tuple(ins["plans"]), _date(ins.get("reviewed_on"))) if ins else None,
        profiles=tuple(_profile(p, merged["id"], status, origin.at("profiles", i))
                       for i, p in enumerate(merged.get("profiles", ()))),
        grants=Grant(grants.get("approved_by"), grants.get("justification"), _date(grants.get("reviewed_on")))
        if grants else None,
        end_date=_date(merged.get("end_date")), template=template, from_template=frozenset(filled),
        referral_disposition=Disposition(disp["action"], disp.get("to")) if disp else None,
        origin=origin, previously=merged.get("previously"),
    )


def _group(d: dict, origin: Origin) -> Group:
    return Group(d["id"], d.get("name"), d["office"], d["specialty"], d["role"],
                 tuple(d.get("members", ())), tuple(d.get("staff", ())), origin)


def _target(d: dict, origin: Origin) -> Target:
    settings = dict(d.get(d["type"], {}))
    return Target(d["id"], d.get("name", d["id"]), d["type"], tuple(d["receives"]), d.get("groups", False),
                  settings, origin)


def _waiver(d: dict, origin: Origin) -> Waiver:
    return Waiver(d["rule"], d["subject"], d["justification"], d["approved_by"], _date(d["expires"]), origin)


class _Refs:
    """Reference checks: each unknown id becomes a REF001 finding with a suggestion."""

    def __init__(self) -> None:
        self.problems: list[Diagnostic] = []

    def check(self, value, known, what: str, origin: Origin, subject: str, *path: str | int) -> None:
        """`value` must be in `known`; the finding points at `origin.at(*path)` (made only
        for a finding: a large org checks some hundred thousand references)."""
        if value is not None and value not in known:
            self.problems.append(error(
                "REF001", f"unknown {what} {value!r}{did_you_mean(value, known)}",
                origin=origin.at(*path), subject=subject))

    def each(self, values: Iterable, known, what: str, origin: Origin, subject: str, *path: str | int) -> None:
        for i, value in enumerate(values):
            if value is None or value not in known:
                self.check(value, known, what, origin, subject, *path, i)


def _renames(persons: dict[str, Person]) -> list[Diagnostic]:
    """ID001: `previously:` names an id that is gone from the config, once."""
    out, claimed = [], {}
    for p in persons.values():
        old = p.previously
        if old is None:
            continue
        at = p.origin.at("previously")
        if old in persons:
            why = "itself" if old == p.id else f"person {old!r}, which is still in the config"
            out.append(error("ID001", f"`previously: {old}` names {why}; a rename moves an id that the config "
                             "no longer has", origin=at, subject=p.id))
        elif old in claimed:
            out.append(error("ID001", f"`previously: {old}` is already claimed by person {claimed[old]!r}; one "
                             "account moves to one new id", origin=at, subject=p.id))
        else:
            claimed[old] = p.id
    return out


def assemble(documents: list[Document]) -> tuple[Org | None, list[Diagnostic]]:
    problems: list[Diagnostic] = []
    by_kind: dict[str, list[tuple[dict, Origin]]] = defaultdict(list)
    for doc in documents:
        by_kind[doc.data["kind"]].append((doc.data, Origin(doc.file, doc.index, ())))

    orgs = by_kind.get("Organization", [])
    if not orgs:
        first = documents[0] if documents else None
        origin = Origin(first.file, first.index) if first else None
        return None, [error("ORG001", "the folder has no `kind: Organization` document", origin=origin)]
    for data, origin in orgs[1:]:
        problems.append(error("ORG001", f"a folder holds one Organization; {orgs[0][0]['id']!r} is "
                              f"already defined in {orgs[0][1].file}", origin=origin, subject=data["id"]))
    organization = _organization(*orgs[0])

    def unique(kind: str, build, key="id") -> dict:
        out, seen = {}, {}
        for data, origin in by_kind.get(kind, []):
            ident = data[key]
            if ident in seen:
                problems.append(error("ID001", f"{kind} id {ident!r} is already used in {seen[ident].file}",
                                      origin=origin.at(key), subject=ident))
                continue
            seen[ident] = origin
            out[ident] = build(data, origin)
        return out

    offices = unique("Office", _office)
    plans = unique("InsurancePlan", lambda d, o: InsurancePlan(d["id"], d["name"], o))
    persons = unique("Person", _person)
    groups = unique("Group", _group)
    waivers = tuple(_waiver(d, o) for d, o in by_kind.get("Waiver", []))
    targets = unique("Target", _target)

    problems.extend(_renames(persons))
    profile_seen: dict[str, Profile] = {}
    refs = _Refs()
    for p in persons.values():
        o = p.origin
        refs.each(p.offices, offices, "office", o, p.id, "offices")
        for i, office in enumerate(p.admin_offices):  # defaults to `offices`, checked above
            if office not in p.offices:
                refs.check(office, offices, "office", o, p.id, "admin_offices", i)
        refs.check(p.call_center, offices, "call center office", o, p.id, "call_center")
        if p.insurance:
            refs.each(p.insurance.plans, plans, "insurance plan", o, p.id, "insurance", "plans")
        if p.referral_disposition:
            refs.check(p.referral_disposition.to, persons, "person", o, p.id, "referral_disposition", "to")
        for prof in p.profiles:
            subject = f"{p.id}/{prof.id}"
            if prof.id in profile_seen:
                problems.append(error("ID001", f"profile id {prof.id!r} is already used by person "
                                      f"{profile_seen[prof.id].person_id!r}", origin=prof.origin.at("id"),
                                      subject=subject))
            profile_seen.setdefault(prof.id, prof)
            refs.each(prof.clinics, offices, "office", prof.origin, subject, "clinics")
            refs.check(prof.default_clinic, offices, "office", prof.origin, subject, "default_clinic")
            refs.check(prof.supervisor, persons, "person", prof.origin, subject, "supervisor")
    for g in groups.values():
        refs.check(g.office, offices, "office", g.origin, g.id, "office")
        refs.each(g.members, persons, "person", g.origin, g.id, "members")
        refs.each(g.staff, persons, "person", g.origin, g.id, "staff")
    problems.extend(refs.problems)

    org = Org(organization, offices, persons, groups, plans, waivers, targets)
    return org, problems
