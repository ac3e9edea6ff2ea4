"""Every right a person holds, flattened: one record per (system, right, scope) with the
reason and the origin that grants it, the resource that carries it to the targets, and the
attribute values an applied resource must show for the right to be in force. Pure.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Iterable, Iterator

from ..access import PersonAccess, Scope, person_access
from ..diagnostics import Origin
from ..model import Org, Person

# Systems, in the order a report lists them.
SYSTEMS = ("referral", "data_management", "reporting", "admin", "front_office", "emr", "licence")
FACET_OF_SYSTEM = {"referral": "referral_accounts", "data_management": "referral_accounts",
                   "reporting": "referral_accounts", "admin": "referral_accounts",
                   "front_office": "front_office_roles", "emr": "emr_profiles", "licence": "emr_profiles"}
ALL = None  # `offices` of a right over the whole master group


@dataclass(frozen=True)
class Right:
    """One right of one person. `offices` is ALL (None) for the whole master group.
    `expects` lists (field, value, contains) conditions on the applied resource's attributes:
    `contains` means the field is a list holding `value`."""

    person: str
    system: str
    name: str
    offices: tuple[str, ...] | None
    source: str
    origin: Origin
    address: str
    profile: str | None = None
    template: str | None = None
    expects: tuple[tuple[str, object, bool], ...] = ()
    # Other resources the right needs, each (address, expects): a referral right at an office
    # needs the person's membership there (active) as well as their account type.
    requires: tuple[tuple[str, tuple[tuple[str, object, bool], ...]], ...] = ()

    @property
    def facet(self) -> str:
        return FACET_OF_SYSTEM[self.system]

    def covers(self, office: str) -> bool:
        return self.offices is ALL or office in self.offices

    def label(self) -> str:
        where = "all offices" if self.offices is ALL else ", ".join(self.offices) or "no office"
        on = f"{self.profile}: " if self.profile else ""
        return f"{on}{self.name} @ {where}"


def _template_of(person: Person, source: str) -> str | None:
    return person.template if source.startswith("template ") else None


def _scope_rights(person: Person, system: str, scope: Scope) -> Iterator[Right]:
    """Each grant as a right, with what the applied state must carry for it: the admin role
    (and its offices) it comes from, or the account type, call center and memberships."""
    addr = f"person.{person.id}"
    for g in scope.grants:
        offices = ALL if g.kind == "master_group" else g.offices
        requires: tuple = ()
        if g.role is not None:
            expects = [("admin", g.role, True)]
            if g.role == "office_admin":
                expects += [("admin_offices", office, True) for office in g.offices]
            if system == "referral":  # the work queue: the role together with work_queue_chat
                expects.append(("work_queue_chat", True, False))
        else:
            expects = [("account_type", person.account_type, False)]
            if g.kind == "call_center":
                expects.append(("call_center", g.offices[0], False))
            elif g.kind != "master_group":  # the person's own offices: their memberships there
                requires = tuple((f"membership.{person.id}@{office}", ()) for office in g.offices)
        if g.kind == "call_center" and g.role is not None:
            expects.append(("call_center", g.offices[0], False))
        yield Right(person.id, system, g.kind, offices, g.source, g.origin, addr,
                    template=_template_of(person, g.source), expects=tuple(expects), requires=requires)


def person_rights(person: Person, pa: PersonAccess | None = None) -> list[Right]:
    """The rights in force for `person` (none when the person is inactive)."""
    if not person.active:
        return []
    pa = pa or person_access(person)
    addr = f"person.{person.id}"
    out: list[Right] = []
    out += _scope_rights(person, "referral", pa.referral)
    out += _scope_rights(person, "data_management", pa.data_management)
    out += _scope_rights(person, "reporting", pa.reporting)
    for i, role in enumerate(person.admin):
        from_template = "admin" in person.from_template
        source = f"template {person.template} (admin {role})" if from_template else f"admin {role}"
        origin = person.origin.at("template") if from_template else person.origin.at("admin", i)
        offices = person.admin_offices if role == "office_admin" else ALL
        out.append(Right(person.id, "admin", role, offices, source, origin, addr,
                         template=person.template if from_template else None,
                         expects=(("admin", role, True),)))
    # “Front Office Role” (docs/domain.md): front-office permissions are practice-wide ("all
    # clients"); where the person works (offices, call center) is what an office filter can say.
    fo_offices = tuple(dict.fromkeys(person.offices + ((person.call_center,) if person.call_center else ()))) or ALL
    for perm in pa.front_office:
        out.append(Right(person.id, "front_office", perm.name, fo_offices, perm.source, perm.origin, addr,
                         template=_template_of(person, perm.source),
                         expects=(("front_office", person.front_office, False),)))
    profiles = {p.id: p for p in person.profiles}
    for prof in pa.profiles:
        if not prof.active:
            continue
        model = profiles[prof.profile_id]
        paddr = f"profile.{prof.profile_id}"
        for perm in prof.permissions:
            cond = ("admin", True, False) if perm.source == "profile admin flag" else ("permissions", perm.name, True)
            at = tuple(("clinics", clinic, True) for clinic in model.clinics)  # in force where the profile works
            out.append(Right(person.id, "emr", perm.name, model.clinics, perm.source, perm.origin, paddr,
                             profile=prof.profile_id, expects=(cond, *at)))
        if prof.license_type:
            out.append(Right(person.id, "licence", prof.license_type, (prof.license_source,),
                             f"user_type {prof.user_type} at default_clinic {prof.license_source}",
                             model.origin.at("user_type"), paddr, profile=prof.profile_id,
                             expects=(("user_type", prof.user_type, False),
                                      ("default_clinic", prof.license_source, False))))
    return out


def org_rights(org: Org, people: Iterable[str] | None = None) -> dict[str, list[Right]]:
    """Rights per person id, for `people` (all when None), in the config's order."""
    ids = list(org.persons) if people is None else list(people)
    return {pid: person_rights(org.persons[pid]) for pid in ids}
