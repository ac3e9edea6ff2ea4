"""Flatten the desired `Org` into addressed resources, the unit that plans and state share.

Addresses follow Terraform: `office.<id>`, `person.<id>`, `profile.<id>`,
`membership.<person>@<office>`, `group.<id>`, `group_member.<group>/<person>`,
`insurance_plan.<id>`, `invitation.<account address>`. Attributes are plain JSON values
with set-like lists sorted, so that a comparison never reports a reordering.
"""

from __future__ import annotations

import datetime as dt

from ..diagnostics import Origin
from ..model import Group, Office, Org, Person, Profile
from ..state.backend import Resource

KINDS = ("office", "insurance_plan", "person", "profile", "membership", "group", "group_member", "invitation")
# Kinds whose records carry no history: removing them is a `delete`, never a `deactivate`.
HISTORYLESS = ("membership", "group_member")
ACCOUNT_KINDS = ("person", "profile")
PROVIDER_TYPES = ("physician", "physician_staff")


def kind_of(address: str) -> str:
    return address.split(".", 1)[0]


def name_of(address: str) -> str:
    return address.split(".", 1)[1]


def _date(value: dt.date | None) -> str | None:
    return value.isoformat() if value else None


def office_attrs(o: Office) -> dict:
    return {"name": o.name, "go_live": _date(o.go_live), "call_center": o.call_center, "mips": o.mips,
            "virtual_visits": o.virtual_visits,
            "licenses": {k: ("unlimited" if v is None else v) for k, v in sorted(o.licenses.items())}}


def person_attrs(p: Person) -> dict:
    return {
        "name": p.name, "email": p.email, "account_type": p.account_type,
        "admin": sorted(p.admin), "admin_offices": sorted(p.admin_offices), "call_center": p.call_center,
        "work_queue_chat": p.work_queue_chat, "front_office": p.front_office, "npi": p.npi,
        "specialty": p.specialty, "profile_approved": p.profile_approved,
        "insurance": {"plans": sorted(p.insurance.plans), "reviewed_on": _date(p.insurance.reviewed_on)}
        if p.insurance else None,
        "grants": {"approved_by": p.grants.approved_by, "justification": p.grants.justification,
                   "reviewed_on": _date(p.grants.reviewed_on)} if p.grants else None,
        "end_date": _date(p.end_date), "template": p.template,
        "referral_disposition": {"action": p.referral_disposition.action, "to": p.referral_disposition.to}
        if p.referral_disposition else None,
        # only when written, so that states applied before renames existed see no change
        **({"previously": p.previously} if p.previously else {}),
    }


def profile_attrs(f: Profile) -> dict:
    return {
        "person": f.person_id, "user_type": f.user_type, "email": f.email, "clinics": sorted(f.clinics),
        "default_clinic": f.default_clinic, "permissions": sorted(f.permissions), "admin": f.admin,
        "mips": f.mips, "virtual_visits": f.virtual_visits, "signature": f.signature,
        "attestation": {"by": f.attestation.by, "date": _date(f.attestation.date)} if f.attestation else None,
        "supervisor": f.supervisor, "end_date": _date(f.end_date),
    }


def group_attrs(g: Group) -> dict:
    return {"name": g.name, "office": g.office, "specialty": g.specialty, "role": g.role, "staff": sorted(g.staff)}


def desired_resources(org: Org) -> tuple[dict[str, Resource], dict[str, Origin]]:
    """The resources the config asks for, and where each was written (for locating findings)."""
    out: dict[str, Resource] = {}
    origins: dict[str, Origin] = {}

    def put(kind: str, address: str, attrs: dict, status: str, origin: Origin) -> None:
        out[address] = Resource(address, kind, attrs, status)
        origins[address] = origin

    for o in org.offices.values():
        put("office", f"office.{o.id}", office_attrs(o), "active", o.origin)
    for plan in org.insurance_plans.values():
        put("insurance_plan", f"insurance_plan.{plan.id}", {"name": plan.name}, "active", plan.origin)
    for p in org.persons.values():
        put("person", f"person.{p.id}", person_attrs(p), p.status, p.origin)
        for f in p.profiles:
            put("profile", f"profile.{f.id}", profile_attrs(f), f.status, f.origin)
        if p.active:  # an inactive person keeps no office (LIFE002: memberships go first)
            for i, office in enumerate(p.offices):
                put("membership", f"membership.{p.id}@{office}", {"person": p.id, "office": office}, "active",
                    p.origin.at("offices", i))
    for g in org.groups.values():
        put("group", f"group.{g.id}", group_attrs(g), "active", g.origin)
        for i, member in enumerate(g.members):
            person = org.persons.get(member)
            if person is not None and person.active:
                put("group_member", f"group_member.{g.id}/{member}", {"group": g.id, "person": member}, "active",
                    g.origin.at("members", i))
    return out, origins


def is_provider(resource: Resource | None) -> bool:
    return resource is not None and resource.attributes.get("account_type") in PROVIDER_TYPES
