"""Governance (HIPAA Security Rule practice, not in the seeds): GOV rules on NPIs, approvals,
end dates, supervision, access reviews and separation of duties. Judges the model and the
effective access; knows nothing of the current state.
"""

from __future__ import annotations

from ..diagnostics import Severity, error, warning
from ..vocabulary import (
    CLIENT_ADMIN_ROLES, LICENSE_OF_USER_TYPE, LIMITED_ADMIN_PERMISSIONS, USER_MANAGEMENT,
    USER_MANAGER_PERMISSIONS,
)
from .catalog import rule

NPI_PREFIX = "80840"  # card issuer prefix for US health applications (45 CFR 162.406)


def npi_valid(npi: str) -> bool:
    """10 digits, starting 1 or 2, Luhn-valid over `80840` + the digits."""
    if len(npi) != 10 or not npi.isdigit() or npi[0] not in "12":
        return False
    total = 0
    for i, ch in enumerate(reversed(NPI_PREFIX + npi)):
        d = int(ch)
        if i % 2 == 1:
            d = d * 2 - 9 if d > 4 else d * 2
        total += d
    return total % 10 == 0


def _admin_permission(pa):
    """The first limited admin permission an active profile of the person holds, or None."""
    return next((perm for prof in pa.profiles if prof.active for perm in prof.permissions
                 if perm.name in LIMITED_ADMIN_PERMISSIONS), None)


@rule("GOV001", "Provider NPIs are valid", Severity.ERROR, source="45 CFR 162.406 (NPI standard)",
      explanation="A National Provider Identifier is 10 digits, starts with 1 or 2, and its last "
      "digit is a Luhn check digit computed over the prefix 80840 followed by the first nine digits "
      "(45 CFR 162.406). Active providers need a valid NPI so referrals and claims reach the right "
      "clinician; a mistyped NPI fails the check.",
      example_fix='npi: "1234567893"   # quoted, so YAML keeps it a string')
def provider_npi_valid(ctx):
    for p in ctx.org.persons.values():
        if not (p.active and p.is_provider):
            continue
        if p.npi is None:
            yield error("GOV001", "provider has no `npi`", origin=p.origin.at("account_type"), subject=p.id)
        elif not npi_valid(p.npi):
            yield error("GOV001", f"NPI {p.npi!r} is not valid (10 digits, starting 1 or 2, Luhn check "
                        "over 80840 + digits)", origin=p.origin.at("npi"), subject=p.id)


@rule("GOV002", "Admin rights are justified and approved", Severity.WARNING,
      source="45 CFR 164.308(a)(4)(ii)(B)-(C) (access authorization and establishment)",
      explanation="The Security Rule asks for documented authorization of access. Every admin "
      "authorization (office or client admin) and every limited EMR admin permission (calendar, "
      "clinic, company, billing-report, insurance admin, also through the profile `admin` flag) "
      "carries `grants.justification` and `grants.approved_by`.",
      example_fix="grants: {approved_by: cmo@riverside.example, justification: \"office manager\"}")
def admin_rights_approved(ctx):
    for p in ctx.org.persons.values():
        if not p.active:
            continue
        perm = _admin_permission(ctx.access[p.id])
        if not p.admin and perm is None:
            continue
        missing = [f for f in ("justification", "approved_by") if not p.grants or not getattr(p.grants, f)]
        if not missing:
            continue
        what = p.admin[0] if p.admin else perm.name
        if p.grants:
            origin, key = p.origin.at("grants"), True
        elif p.admin:
            origin, key = p.origin.at("template" if "admin" in p.from_template else "admin"), True
        else:
            origin, key = perm.origin, False
        yield warning("GOV002", f"{what} needs grants.{' and grants.'.join(missing)}", origin=origin,
                      subject=p.id, key=key)


@rule("GOV003", "People past their end date are inactive", Severity.ERROR,
      source="45 CFR 164.308(a)(3)(ii)(C) (termination procedures)",
      explanation="Access must end when employment ends. A person, or an EMR profile, whose "
      "`end_date` is before today is still `active`: set it inactive so the plan deactivates it.",
      example_fix="status: inactive")
def ended_people_inactive(ctx):
    for p in ctx.org.persons.values():
        if p.active and p.end_date and p.end_date < ctx.today:
            yield error("GOV003", f"end date {p.end_date} has passed but the person is active",
                        origin=p.origin.at("end_date"), subject=p.id)
            continue
        for prof in p.profiles:
            if prof.active and prof.end_date and prof.end_date < ctx.today:
                yield error("GOV003", f"end date {prof.end_date} has passed but the profile is active",
                            origin=prof.origin.at("end_date"), subject=f"{p.id}/{prof.id}")


def _supervision_problem(prof, persons) -> str | None:
    if prof.supervisor is None:
        return "has no `supervisor`"
    sup = persons.get(prof.supervisor)
    if sup is None or not sup.active:
        return f"supervisor {prof.supervisor!r} is not active"
    if not any(sp.active and LICENSE_OF_USER_TYPE.get(sp.user_type) == "therapist"
               and prof.default_clinic in sp.clinics for sp in sup.profiles):
        return f"supervisor {prof.supervisor!r} has no active therapist profile at {prof.default_clinic!r}"
    return None


@rule("GOV004", "Assistants and students are supervised; students have an end date", Severity.WARNING,
      source="“Managing Users and Permissions (Large Organizations)” (docs/domain.md); 45 CFR 164.308(a)(3)(ii)(A) (supervision)",
      explanation="Assistants (PTA, COTA, SLPA) and students (SPT, SOT, SSLP) work under a therapist: "
      "each active assistant or student profile names a `supervisor` who is active and has an active "
      "therapist profile at the same (default) clinic. A student placement ends, so student "
      "profiles carry an `end_date` (on the profile or the person).",
      example_fix="supervisor: maria-lopez\nend_date: 2027-05-31")
def supervised(ctx):
    persons = ctx.org.persons
    for p in persons.values():
        for prof in p.profiles:
            kind = LICENSE_OF_USER_TYPE.get(prof.user_type)
            if not prof.active or kind not in ("assistant", "student"):
                continue
            subject = f"{p.id}/{prof.id}"
            problem = _supervision_problem(prof, persons)
            if problem:
                path = ("supervisor",) if prof.supervisor else ("user_type",)
                yield warning("GOV004", f"{prof.user_type} {problem}", origin=prof.origin.at(*path),
                              subject=subject)
            if kind == "student" and prof.end_date is None and p.end_date is None:
                yield warning("GOV004", f"{prof.user_type} profile has no `end_date`",
                              origin=prof.origin.at("user_type"), subject=subject)


@rule("GOV005", "Access is reviewed periodically", Severity.WARNING,
      source="45 CFR 164.308(a)(4)(ii)(C) (access establishment and modification); 164.308(a)(1)(ii)(D)",
      explanation="Access grants are reviewed regularly: a person's `grants.reviewed_on` may be at "
      "most `policy.review_period_days` old (default 365), and at most "
      "`policy.admin_review_period_days` (default 90) for people with admin authorizations or "
      "limited admin permissions. Admins never reviewed are reported too.",
      example_fix="grants: {reviewed_on: 2026-10-01, approved_by: cmo@riverside.example, justification: ...}")
def access_reviewed(ctx):
    policy = ctx.org.policy
    for p in ctx.org.persons.values():
        if not p.active:
            continue
        is_admin = bool(p.admin) or _admin_permission(ctx.access[p.id]) is not None
        period = policy.admin_review_period_days if is_admin else policy.review_period_days
        reviewed = p.grants.reviewed_on if p.grants else None
        if reviewed is None:
            if is_admin:
                origin = p.origin.at("grants") if p.grants else p.origin.at("id")
                yield warning("GOV005", "admin access has never been reviewed (grants.reviewed_on)",
                              origin=origin, subject=p.id, key=p.grants is not None)
        elif (ctx.today - reviewed).days > period:
            yield warning("GOV005", f"access last reviewed {reviewed}, more than {period} days ago",
                          origin=p.origin.at("grants", "reviewed_on"), subject=p.id)


@rule("GOV006", "Separation of duties", Severity.WARNING,
      source="45 CFR 164.308(a)(3)-(4) (workforce security, access management); “Front Office Role”, “Managing Users and Permissions” (docs/domain.md)",
      explanation="One person should not hold both halves of a conflicting pair of permissions "
      "(`policy.separation_of_duties`; default: user_management with billing_report_admin, take_payments "
      "with enter_refunds, take_payments with enter_adjustments). `user_management` is held with "
      "`view_users` or `edit_users`: “Managing Users and Permissions” says View Users already lets a person create user "
      "profiles and request licence changes. Permissions are the person's "
      "effective ones: Front Office sub-role (a biller takes payments, refunds and adjustments) and "
      "active EMR profiles. One finding per person lists every conflicting pair.",
      example_fix="front_office: scheduler   # or a Waiver naming GOV006 and the person")
def separation_of_duties(ctx):
    pairs = ctx.org.policy.separation_of_duties
    for pa in ctx.access.values():
        if not pa.active:
            continue
        held: dict[str, object] = {}
        for perm in pa.all_permissions():
            held.setdefault(perm.name, perm)
            if perm.name in USER_MANAGER_PERMISSIONS:  # “Managing Users and Permissions”: View Users already manages users
                held.setdefault(USER_MANAGEMENT, perm)
        clashes = [(a, b) for a, b in pairs if a in held and b in held]
        if clashes:  # one finding per person, so that one waiver covers the person's role
            def said(name):
                perm = held[name]
                return f"{name} ({perm.name}, {perm.source})" if perm.name != name else f"{name} ({perm.source})"
            text = "; ".join(f"{said(a)} with {said(b)}" for a, b in clashes)
            yield warning("GOV006", f"holds conflicting permissions: {text}", origin=held[clashes[0][1]].origin,
                          subject=pa.person_id)


@rule("GOV007", "One NPI, one person", Severity.ERROR, source="45 CFR 162.408 (one NPI per health care provider)",
      explanation="The NPI registry issues one National Provider Identifier per provider, for life. Two "
      "active people with the same `npi` are one provider written twice, or a borrowed identity: "
      "referrals and claims would reach the wrong clinician. Inactive people keep their NPI on record "
      "and are not compared.",
      example_fix='npi: "1245319599"   # the second provider\'s own NPI')
def npi_unique(ctx):
    first: dict[str, object] = {}
    for p in ctx.org.persons.values():
        if not p.active or p.npi is None:
            continue
        holder = first.setdefault(p.npi, p)
        if holder is not p:
            yield error("GOV007", f"NPI {p.npi!r} already belongs to person {holder.id!r} ({{at}}); an NPI "
                        "identifies one provider", origin=p.origin.at("npi"), subject=p.id,
                        related=holder.origin.at("npi"))


@rule("GOV008", "Someone can administer the organization", Severity.WARNING,
      source="“Client Admin best practices” (docs/domain.md: elect one or two client admins); 45 CFR 164.308(a)(2) (assigned security responsibility)",
      explanation="'Most organizations elect one or two' client admins (“Client Admin best practices”): a system with none "
      "cannot be administered (no one can add users, offices or reports). Reported when no active "
      "person holds `client_admin_full` or `client_admin_reporting` in the configuration, which is "
      "also the case when a plan would deactivate every client admin.",
      example_fix="template: health-system-manager   # on the person who runs the system")
def client_admin_present(ctx):
    if any(p.active and any(r in CLIENT_ADMIN_ROLES for r in p.admin) for p in ctx.org.persons.values()):
        return
    org = ctx.org.organization
    yield warning("GOV008", f"no active client admin in {org.id!r}: nobody could administer the organization; "
                  "give one or two people `client_admin_full` (template: health-system-manager)",
                  origin=org.origin, subject=org.id)
