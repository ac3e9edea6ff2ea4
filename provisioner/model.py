"""The checked, typed model of one organization: immutable records with every reference
resolved. Built by `provisioner.assemble` from schema-valid documents; pure data, no I/O.

Each record keeps the `Origin` of the document it came from so that findings about it
can be located; nothing in the model knows files exist beyond that.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Mapping

from .diagnostics import Origin
from .records import quick

DEFAULT_PERMISSION_LIMIT = 2


@dataclass(frozen=True)
class Policy:
    """Org-wide limits (docs/domain.md defaults), overridable in the Organization document."""

    max_client_admins: int = 2  # ADM004
    mass_change_limit: float = 0.25  # plan guard
    unmanaged_accounts: str = "report"  # report | deactivate (plan --refresh), docs/targets.md Ownership
    review_period_days: int = 365  # GOV005
    admin_review_period_days: int = 90  # GOV005, admins
    deprovision_within_hours: int = 24  # terminations report: access removed everywhere within
    permission_limits: Mapping[str, int] = field(default_factory=dict)  # PERM003
    separation_of_duties: tuple[tuple[str, str], ...] = (
        ("user_management", "billing_report_admin"),  # view_users or edit_users
        ("take_payments", "enter_refunds"),
        ("take_payments", "enter_adjustments"),
    )  # GOV006
    severity: Mapping[str, str] = field(default_factory=dict)  # rule id -> "error" (raise)

    def permission_limit(self, permission: str) -> int:
        return self.permission_limits.get(permission, DEFAULT_PERMISSION_LIMIT)


@dataclass(frozen=True)
class Organization:
    id: str
    name: str
    master_group: str
    policy: Policy
    vars: Mapping[str, object]
    origin: Origin


@quick
@dataclass(frozen=True, slots=True)
class Office:
    id: str
    name: str
    go_live: dt.date | None
    call_center: bool
    mips: str  # none | individual | group
    virtual_visits: bool
    # licence type -> seats; None means unlimited. Types not listed have 0 seats.
    licenses: Mapping[str, int | None]
    origin: Origin

    def seats(self, license_type: str) -> int | None:
        return self.licenses.get(license_type, 0)


@quick
@dataclass(frozen=True, slots=True)
class Attestation:
    by: str
    date: dt.date


@quick
@dataclass(frozen=True, slots=True)
class Profile:
    """One EMR profile: one discipline (TYPE003), its own e-mail, one default clinic."""

    id: str
    person_id: str
    user_type: str
    email: str
    status: str
    clinics: tuple[str, ...]
    default_clinic: str
    permissions: tuple[str, ...]
    admin: bool
    mips: bool
    virtual_visits: bool
    signature: str | None
    attestation: Attestation | None
    supervisor: str | None  # person id of the supervising therapist (GOV004)
    end_date: dt.date | None
    origin: Origin

    @property
    def active(self) -> bool:
        return self.status == "active"


@quick
@dataclass(frozen=True, slots=True)
class Grant:
    """Who approved a person's access, why, and when it was last reviewed (GOV002/GOV005)."""

    approved_by: str | None
    justification: str | None
    reviewed_on: dt.date | None


@quick
@dataclass(frozen=True, slots=True)
class Insurance:
    plans: tuple[str, ...]
    reviewed_on: dt.date | None


@quick
@dataclass(frozen=True, slots=True)
class Disposition:
    """What happens to a departing provider's open referrals (LIFE002)."""

    action: str  # reassign | forward | decline
    to: str | None  # person id, for reassign/forward


@quick
@dataclass(frozen=True, slots=True)
class Person:
    id: str
    name: str
    email: str
    status: str
    account_type: str
    offices: tuple[str, ...]
    admin: tuple[str, ...]
    admin_offices: tuple[str, ...]
    call_center: str | None
    work_queue_chat: bool
    front_office: str | None
    npi: str | None
    specialty: str | None
    profile_approved: bool | None
    insurance: Insurance | None
    profiles: tuple[Profile, ...]
    grants: Grant | None
    end_date: dt.date | None
    template: str | None
    from_template: frozenset[str]  # fields whose value the role template supplied
    referral_disposition: Disposition | None
    origin: Origin
    previously: str | None = None  # the id before a rename: the plan moves the account (ID001)

    @property
    def active(self) -> bool:
        return self.status == "active"

    @property
    def is_provider(self) -> bool:
        return self.account_type in ("physician", "physician_staff")


@quick
@dataclass(frozen=True, slots=True)
class Group:
    id: str
    name: str | None
    office: str
    specialty: str
    role: str  # sender | receiver | both
    members: tuple[str, ...]
    staff: tuple[str, ...]
    origin: Origin


@quick
@dataclass(frozen=True, slots=True)
class InsurancePlan:
    id: str
    name: str
    origin: Origin


@quick
@dataclass(frozen=True, slots=True)
class Waiver:
    """A documented exception to one finding: rule + subject, until `expires`."""

    rule: str
    subject: str
    justification: str
    approved_by: str
    expires: dt.date
    origin: Origin


@quick
@dataclass(frozen=True, slots=True)
class Target:
    """A system that receives provisioned accounts: over SCIM (`settings` holds url or
    url_env, token_env and the delivery limits) or as change files (`settings` holds the
    folder). Secrets are named, never held."""

    id: str
    name: str
    type: str  # scim | changefile
    receives: tuple[str, ...]  # facets: referral_accounts, front_office_roles, emr_profiles
    groups: bool
    settings: Mapping[str, object]
    origin: Origin


@dataclass(frozen=True)
class Org:
    organization: Organization
    offices: Mapping[str, Office]
    persons: Mapping[str, Person]
    groups: Mapping[str, Group]
    insurance_plans: Mapping[str, InsurancePlan]
    waivers: tuple[Waiver, ...]
    targets: Mapping[str, Target] = field(default_factory=dict)

    @property
    def id(self) -> str:
        return self.organization.id

    @property
    def policy(self) -> Policy:
        return self.organization.policy

    def profiles(self):
        for person in self.persons.values():
            yield from person.profiles
