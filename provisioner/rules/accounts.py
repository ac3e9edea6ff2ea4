"""Accounts and admin rights (“Types of par8o Accounts”): ACC, ADM, CC and WQ rules on the referral-platform
account of each person. Judges account types, admin authorizations, call-center
designations and Work Queue access; not EMR profiles (see emr.py).
"""

from __future__ import annotations

from ..access import admin_source, field_source
from ..diagnostics import Severity, error, warning
from ..vocabulary import ACCOUNT_TYPES, CLIENT_ADMIN_ROLES, STAFF_TYPES
from .catalog import rule

SEED000 = "“Types of par8o Accounts” (docs/domain.md)"
SEED001 = "“Client Admin best practices” (docs/domain.md)"


@rule("ACC001", "Account type is one of the four", Severity.ERROR, source=SEED000,
      explanation="par8o CareCompass has two staff account types (Office Staff, Master Group Staff) "
      "and two provider account types (Physician, Physician/Staff); every account is exactly one of "
      "them. The schema already refuses other values; this check also covers values supplied by a "
      "role template.",
      example_fix="account_type: office_staff")
def account_type_known(ctx):
    for p in ctx.org.persons.values():
        if p.account_type not in ACCOUNT_TYPES:
            _, origin = field_source(p, "account_type", p.account_type)
            yield error("ACC001", f"unknown account type {p.account_type!r}; one of: {', '.join(ACCOUNT_TYPES)}",
                        origin=origin, subject=p.id)


@rule("ACC002", "Office-bound accounts name an office", Severity.ERROR, source=SEED000,
      explanation="Office Staff see the referrals of specific offices, Physician/Staff all referrals "
      "at their office, and a Physician their own referrals at the offices they practise at "
      "(“Types of par8o Accounts”). Without an office these accounts have no referral access at all; only Master "
      "Group Staff work across the whole master group without naming offices.",
      example_fix="offices: [eastside-rehab]")
def office_bound_accounts_name_an_office(ctx):
    for p in ctx.org.persons.values():
        if p.account_type in ("office_staff", "physician_staff", "physician") and not p.offices:
            _, origin = field_source(p, "account_type", p.account_type)
            yield error("ACC002", f"a {p.account_type} account must name at least one office in `offices`",
                        origin=origin, subject=p.id)


@rule("ADM001", "Office admin only on office staff", Severity.ERROR, source=SEED000,
      explanation="'Office Admin permissions are only available on Office Staff account types' "
      "(“Types of par8o Accounts”). An office admin manages the staff, providers and data of designated offices, so "
      "the base account must itself be bound to offices.",
      example_fix="account_type: office_staff   # or drop office_admin from `admin`")
def office_admin_on_office_staff(ctx):
    for p in ctx.org.persons.values():
        for i, role in enumerate(p.admin):
            if role == "office_admin" and p.account_type != "office_staff":
                _, origin = admin_source(p, i, role)
                yield error("ADM001", f"office_admin is only available on office_staff accounts, "
                            f"not {p.account_type}", origin=origin, subject=p.id)


@rule("ADM002", "Client admin only on staff accounts", Severity.ERROR, source=SEED000,
      explanation="'Client Admin - Full Admin Access and Client Admin - Reporting Only permissions "
      "are available for both Office Staff and Master Group Staff account types' (“Types of par8o Accounts”); all "
      "admin accounts 'are created first as a staff account'. Provider accounts (physician, "
      "physician_staff) never carry client admin rights.",
      example_fix="Give the admin duties to a separate master_group_staff account.")
def client_admin_on_staff(ctx):
    for p in ctx.org.persons.values():
        for i, role in enumerate(p.admin):
            if role in CLIENT_ADMIN_ROLES and p.account_type not in STAFF_TYPES:
                _, origin = admin_source(p, i, role)
                yield error("ADM002", f"{role} is only available on office_staff or master_group_staff "
                            f"accounts, not {p.account_type}", origin=origin, subject=p.id)


@rule("ADM003", "Office admins administer their own offices", Severity.WARNING, source=SEED000,
      explanation="An Office Admin's referral access, data management and reporting are 'limited to "
      "designated offices' (“Types of par8o Accounts”). Administering an office the person does not work at is "
      "usually a copy-paste slip and grants data management outside their referral scope.",
      example_fix="admin_offices: [eastside-rehab]   # a subset of `offices`")
def office_admin_offices_are_own(ctx):
    for p in ctx.org.persons.values():
        if "office_admin" not in p.admin:
            continue
        for i, office in enumerate(p.admin_offices):
            if office not in p.offices:
                yield warning("ADM003", f"administers office {office!r}, which is not among their offices "
                              f"({', '.join(p.offices) or 'none'})", origin=p.origin.at("admin_offices", i),
                              subject=p.id)


@rule("ADM004", "Few client admins", Severity.WARNING, source=SEED001,
      explanation="'Most organizations choose to elect one or two Client Admins' (“Client Admin best practices”): a client "
      "admin has advanced administrative privileges over every account, office, plan and group. "
      "More active client admins than `policy.max_client_admins` (default 2) widens that power; "
      "the finding's subject is the organization and it points at the first admin over the limit.",
      example_fix="Remove client_admin_full from one person, or raise policy.max_client_admins with a "
      "justification.")
def few_client_admins(ctx):
    limit = ctx.org.policy.max_client_admins
    admins = []
    for p in ctx.org.persons.values():
        if p.active:
            for i, role in enumerate(p.admin):
                if role in CLIENT_ADMIN_ROLES:
                    admins.append((p, i, role))
                    break
    if len(admins) > limit:
        p, i, role = admins[limit]
        _, origin = admin_source(p, i, role)
        names = ", ".join(a[0].id for a in admins)
        yield warning("ADM004", f"{len(admins)} active client admins ({names}); the policy allows "
                      f"{limit}", origin=origin, subject=ctx.org.id)


@rule("CC001", "Call-center designation on master-group staff, naming a call center", Severity.ERROR,
      source=SEED000,
      explanation="'If a staff person needs access to all referrals sent to a call center or patient "
      "access center, select Master Group Staff and choose the appropriate call center designation' "
      "(“Types of par8o Accounts”). The designation narrows a master-group account; on any other account type it "
      "means nothing, and it must name an office marked `call_center: true`.",
      example_fix="account_type: master_group_staff\ncall_center: patient-access-center")
def call_center_designation(ctx):
    offices = ctx.org.offices
    for p in ctx.org.persons.values():
        if p.call_center is None:
            continue
        origin = p.origin.at("call_center")
        if p.account_type != "master_group_staff":
            yield error("CC001", f"a call-center designation is only available on master_group_staff "
                        f"accounts, not {p.account_type}", origin=origin, subject=p.id)
        office = offices.get(p.call_center)
        if office is not None and not office.call_center:
            yield error("CC001", f"office {p.call_center!r} is not a call center (set `call_center: true` "
                        "on the office, or name a call center)", origin=origin, subject=p.id)


@rule("WQ001", "Client admins without Work Queue & Chat see no referrals", Severity.WARNING, source=SEED000,
      explanation="A client admin's referral access exists only 'if Work Queue & Chat Access is "
      "selected' (“Types of par8o Accounts”). Without it the admin can manage accounts and reports but cannot open a "
      "single referral, which is often not what was intended; say so explicitly or add the flag.",
      example_fix="work_queue_chat: true")
def client_admin_work_queue(ctx):
    for p in ctx.org.persons.values():
        if not p.active or p.work_queue_chat:
            continue
        for i, role in enumerate(p.admin):
            if role in CLIENT_ADMIN_ROLES:
                _, origin = admin_source(p, i, role)
                yield warning("WQ001", f"{role} without work_queue_chat has no referral access through "
                              "the admin role", origin=origin, subject=p.id)
                break
