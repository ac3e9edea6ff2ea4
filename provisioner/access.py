"""Effective access, derived once per org: for each person, referral, data-management and
reporting scopes, front-office permissions and, per EMR profile, permissions and licence,
each element saying where it came from. Pure; judges nothing (rules and reports do).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Mapping, NamedTuple

from .diagnostics import Origin
from .model import Org, Person, Profile
from .records import quick
from .vocabulary import CLIENT_ADMIN_ROLES, FRONT_OFFICE_PERMISSIONS, LICENSE_OF_USER_TYPE, LIMITED_ADMIN_PERMISSIONS

# Scope kinds, narrowest first.
OWN = "own"  # a physician's own referrals (at `offices`)
OFFICES = "offices"  # the listed offices
CALL_CENTER = "call_center"  # referrals sent to the listed call center
MASTER_GROUP = "master_group"  # the whole master group


@quick
@dataclass(frozen=True, slots=True)
class ScopeGrant:
    """One reason a person reaches some offices: `kind` over `offices`, from `source`;
    `role` is the admin role it comes from, when it comes from one."""

    kind: str
    offices: tuple[str, ...]
    source: str
    origin: Origin
    role: str | None = None


@quick
@dataclass(frozen=True, slots=True)
class Scope:
    grants: tuple[ScopeGrant, ...] = ()

    @property
    def empty(self) -> bool:
        return not self.grants

    @property
    def whole_master_group(self) -> bool:
        return any(g.kind == MASTER_GROUP for g in self.grants)

    def covers(self, office: str) -> bool:
        return self.whole_master_group or any(office in g.offices for g in self.grants)

    def offices(self, all_offices) -> tuple[str, ...]:
        if self.whole_master_group:
            return tuple(all_offices)
        seen = dict.fromkeys(o for g in self.grants for o in g.offices)
        return tuple(seen)


class Permission(NamedTuple):
    """One permission held, the reason, and where that reason is written: at `path` below
    `base` (a named tuple whose origin is made when asked for: an org of 100,000 people
    holds some 350,000 permissions, and only those with a finding are ever located)."""

    name: str
    source: str
    base: Origin
    path: tuple = ()

    @property
    def origin(self) -> Origin:
        return self.base.at(*self.path) if self.path else self.base


@quick
@dataclass(frozen=True, slots=True)
class ProfileAccess:
    profile_id: str
    user_type: str
    license_type: str | None
    license_source: str  # the default clinic the licence comes from
    active: bool
    permissions: tuple[Permission, ...]

    def names(self) -> frozenset[str]:
        return frozenset(p.name for p in self.permissions)

    def first(self, name: str) -> Permission | None:
        return next((p for p in self.permissions if p.name == name), None)


@quick
@dataclass(frozen=True, slots=True)
class PersonAccess:
    person_id: str
    active: bool
    referral: Scope
    data_management: Scope
    reporting: Scope
    front_office: tuple[Permission, ...]
    profiles: tuple[ProfileAccess, ...]

    def all_permissions(self, active_profiles_only: bool = True) -> tuple[Permission, ...]:
        """Front-office permissions plus the EMR permissions of (active) profiles."""
        emr = tuple(p for prof in self.profiles if prof.active or not active_profiles_only
                    for p in prof.permissions)
        return self.front_office + emr


def field_source(person: Person, name: str, value: object) -> tuple[str, Origin]:
    """`"name value"` and its origin, or the role template's name when it supplied the field."""
    if name in person.from_template:
        return f"template {person.template} ({name} {value})", person.origin.at("template")
    return f"{name} {value}", person.origin.at(name)


def admin_source(person: Person, index: int, role: str) -> tuple[str, Origin]:
    if "admin" in person.from_template:
        return f"template {person.template} (admin {role})", person.origin.at("template")
    return f"admin {role}", person.origin.at("admin", index)


def _referral(person: Person) -> Scope:
    grants: list[ScopeGrant] = []
    kind = person.account_type
    source, origin = field_source(person, "account_type", kind)
    if kind == "physician":
        grants.append(ScopeGrant(OWN, person.offices, source, origin))
    elif kind in ("office_staff", "physician_staff"):
        grants.append(ScopeGrant(OFFICES, person.offices, source, origin))
    elif kind == "master_group_staff":
        if person.call_center:
            grants.append(ScopeGrant(CALL_CENTER, (person.call_center,), f"call_center {person.call_center}",
                                     person.origin.at("call_center")))
        else:
            grants.append(ScopeGrant(MASTER_GROUP, (), source, origin))
    if person.work_queue_chat:
        for i, role in enumerate(person.admin):
            if role in CLIENT_ADMIN_ROLES:
                src, org = admin_source(person, i, role)
                wq_src, _ = field_source(person, "work_queue_chat", "true")
                if person.call_center:  # “Types of par8o Accounts”: a call-center designation limits the Work Queue
                    grants.append(ScopeGrant(CALL_CENTER, (person.call_center,),
                                             f"{src} + {wq_src}, limited by call_center", org, role))
                else:
                    grants.append(ScopeGrant(MASTER_GROUP, (), f"{src} + {wq_src}", org, role))
                break
    return Scope(tuple(grants))


def _admin_scopes(person: Person) -> tuple[Scope, Scope]:
    data, reporting = [], []
    for i, role in enumerate(person.admin):
        source, origin = admin_source(person, i, role)
        if role == "office_admin":
            grant = ScopeGrant(OFFICES, person.admin_offices, source, origin, role)
            data.append(grant)
            reporting.append(grant)
        elif role == "client_admin_full":
            data.append(ScopeGrant(MASTER_GROUP, (), source, origin, role))
            reporting.append(ScopeGrant(MASTER_GROUP, (), source, origin, role))
        elif role == "client_admin_reporting":
            reporting.append(ScopeGrant(MASTER_GROUP, (), source, origin, role))
    return Scope(tuple(data)), Scope(tuple(reporting))


def front_office_permissions(person: Person) -> tuple[Permission, ...]:
    role = person.front_office
    if role not in FRONT_OFFICE_PERMISSIONS:
        return ()
    source, origin = field_source(person, "front_office", role)
    return tuple(Permission(name, source, origin) for name in FRONT_OFFICE_PERMISSIONS[role])


def profile_access(profile: Profile) -> ProfileAccess:
    base = profile.origin
    perms = [Permission(name, "profile permissions", base, ("permissions", i))
             for i, name in enumerate(profile.permissions)]
    if profile.admin:
        perms += [Permission(name, "profile admin flag", profile.origin.at("admin"))
                  for name in LIMITED_ADMIN_PERMISSIONS]
    return ProfileAccess(profile.id, profile.user_type, LICENSE_OF_USER_TYPE.get(profile.user_type),
                         profile.default_clinic, profile.active, tuple(perms))


def person_access(person: Person) -> PersonAccess:
    data, reporting = _admin_scopes(person)
    return PersonAccess(person.id, person.active, _referral(person), data, reporting,
                        front_office_permissions(person), tuple(profile_access(p) for p in person.profiles))


def effective_access(org: Org) -> Mapping[str, PersonAccess]:
    """Every person's effective access, keyed by person id."""
    return {pid: person_access(p) for pid, p in org.persons.items()}
