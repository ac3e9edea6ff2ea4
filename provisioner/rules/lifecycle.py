"""Lifecycle and groups (“Client Admin best practices”): LIFE and GRP rules. The configuration halves live here
(dispositions, approvals, offices with no one to run them, insurance reviews, groups); the
halves that compare with the current state (LIFE001/002/004/006/007) belong to the plan.
"""

from __future__ import annotations

from collections import defaultdict

from ..diagnostics import Severity, error, info, warning
from .catalog import describe, rule

SEED001 = "“Client Admin best practices” (docs/domain.md)"
# The shape a departing provider's disposition is written in (LIFE002), shown in messages.
DISPOSITION_SHAPE = ("`referral_disposition: {action: reassign, to: <provider>}` "
                     "(or `{action: forward, to: <provider>}`, or `{action: decline}`)")


describe("LIFE001", "Deactivate, never delete", None, stage="plan", source=SEED001 + "; 45 CFR 164.316(b)(2)",
         explanation="'When a staff person leaves the organization, deactivate his or her par8o "
         "account' (“Client Admin best practices”). A person removed from the configuration, or set `status: inactive`, "
         "is planned as a deactivation so that history and audit trails stay; the plan never deletes "
         "an account.",
         example_fix="status: inactive   # keep the document; do not delete it")
describe("LIFE004", "Create an office one week before go-live", Severity.WARNING, stage="plan", source=SEED001,
         explanation="'Create the office location in par8o one week before the office is slated to "
         "start using par8o' (“Client Admin best practices”). The plan warns when it creates an office whose `go_live` is "
         "less than 7 days after the plan date.",
         example_fix="go_live: 2026-12-07   # at least a week after the planned apply")
describe("LIFE006", "Removing an office leaves no provider without one", Severity.ERROR, stage="plan",
         source=SEED001,
         explanation="'If removing an office location, associate the provider(s) with new locations if "
         "necessary' (“Client Admin best practices”). The plan refuses to remove an office when an active provider would be "
         "left with no office at all.",
         example_fix="offices: [westside-clinic]   # move the provider before removing the office")
describe("LIFE007", "Invitations expire after 2 days", None, stage="plan", source=SEED001,
         explanation="'Temporary passwords expire in 2 days, and can only be reset by par8o support "
         "staff' (“Client Admin best practices”). A new account starts as an invitation; the plan and state record when it "
         "was sent, report invitations that expired unconfirmed, and can re-send them. A deactivated "
         "account's pending invitation is revoked in the same plan (shown as its own change), so "
         "`state list` and `invitations` agree that it is revoked.",
         example_fix="provisioner plan orgs/riverside-health --resend-expired --out plans/resend.json")
describe("MASS001", "Mass-change guard", Severity.ERROR, stage="plan",
         source="docs/domain.md (plan semantics); 45 CFR 164.308(a)(1)(ii)(B) (risk management)",
         explanation="A plan that deactivates or removes more than `policy.mass_change_limit` of the "
         "active accounts (default 25%) is refused: a deleted folder or a bad merge must not lock a "
         "health system out of its referrals. Accounts are counted per kind: referral-platform "
         "accounts (people) and EMR profiles each against their own active count in the applied "
         "state, so a change that keeps the people but strips a third of the EMR profiles is refused "
         "too (one finding per kind). A deliberate large change is applied with "
         "`--allow-mass-change`.",
         example_fix="provisioner plan orgs/riverside-health --allow-mass-change --out plans/reorg.json")


@rule("LIFE002", "Departing providers dispose of their open referrals", Severity.ERROR, stage="plan",
      source=SEED001,
      explanation="'Instruct the provider's managing office staff to reassign, forward or decline "
      "referrals as appropriate before you remove the provider from the organization. Once a "
      "provider is removed ... the organization will no longer have access to the provider's "
      "referrals' (“Client Admin best practices”). Configuration half (checked here): an inactive (departing) provider "
      "states `referral_disposition`, and a reassign/forward names another active provider. Plan "
      "half: removing the provider's offices before the provider.",
      example_fix="referral_disposition: {action: reassign, to: maria-lopez}")
def departing_provider_disposition(ctx):
    persons = ctx.org.persons
    for p in persons.values():
        if not p.is_provider or p.active:
            continue
        disp = p.referral_disposition
        if disp is None:
            yield error("LIFE002", f"an inactive provider must say what happens to their open referrals: "
                        f"{DISPOSITION_SHAPE}", origin=p.origin.at("status"), subject=p.id)
            continue
        if disp.action in ("reassign", "forward"):
            if disp.to is None:
                yield error("LIFE002", f"`{disp.action}` needs `to:` naming the provider who takes the "
                            "referrals", origin=p.origin.at("referral_disposition", "action"), subject=p.id)
                continue
            target = persons.get(disp.to)
            if target is not None and (target.id == p.id or not target.active or not target.is_provider):
                why = "the departing provider" if target.id == p.id else (
                    "not active" if not target.active else f"a {target.account_type}, not a provider")
                yield error("LIFE002", f"referrals cannot go to {disp.to!r}: {why}",
                            origin=p.origin.at("referral_disposition", "to"), subject=p.id)


@rule("LIFE003", "Provider profiles are approved", Severity.WARNING, source=SEED001,
      explanation="'Ensure all provider profiles are approved' (“Client Admin best practices”): an unapproved provider "
      "profile cannot be found or referred to. Active providers whose `profile_approved` is false or "
      "missing are reported.",
      example_fix="profile_approved: true")
def provider_profile_approved(ctx):
    for p in ctx.org.persons.values():
        if p.active and p.is_provider and p.profile_approved is not True:
            path = ("profile_approved",) if p.profile_approved is not None else ("id",)
            yield warning("LIFE003", "provider profile is not approved", origin=p.origin.at(*path), subject=p.id)


@rule("LIFE005", "Every office has a provider and referral staff", Severity.WARNING, source=SEED001,
      explanation="'When adding office locations in par8o, add providers to the office at the same "
      "time. Check that the staff responsible for managing the referrals at that location is "
      "accurate' (“Client Admin best practices”). Each office (call centers excepted for providers) needs an active "
      "provider and an active staff account whose effective referral scope covers it (office staff, "
      "physician/staff, master-group staff). For an office the plan creates this is an error: the "
      "office is created with its people. For an existing office it is a warning, so that the "
      "departure of its last coordinator is never blocked (access is removed promptly; the gap "
      "is reported).",
      example_fix="Add the office to a provider's and a referral coordinator's `offices`.")
def office_has_provider_and_staff(ctx):
    providers, staffed, whole_group = set(), set(), False
    for p in ctx.org.persons.values():
        if not p.active:
            continue
        if p.is_provider:
            providers.update(p.offices)
        if p.account_type != "physician":
            scope = ctx.access[p.id].referral
            whole_group = whole_group or scope.whole_master_group
            staffed.update(o for g in scope.grants for o in g.offices)
    for office in ctx.org.offices.values():
        missing = []
        if not office.call_center and office.id not in providers:
            missing.append("no active provider")
        if not whole_group and office.id not in staffed:
            missing.append("no active staff who manage its referrals")
        if missing:
            yield warning("LIFE005", f"office has {' and '.join(missing)}", origin=office.origin.at("id"),
                          subject=office.id)


@rule("LIFE008", "Insurance plans reviewed this calendar year", Severity.WARNING, source=SEED001,
      explanation="'Review and update insurance plans at the beginning of every calendar year' "
      "(“Client Admin best practices”): par8o suggests providers by the plans they accept, so a stale list misroutes "
      "patients. An active provider's `insurance.reviewed_on` must fall in the current year.",
      example_fix="insurance: {plans: [medicare], reviewed_on: 2026-01-15}")
def insurance_reviewed(ctx):
    for p in ctx.org.persons.values():
        if not (p.active and p.is_provider and p.insurance):
            continue
        reviewed = p.insurance.reviewed_on
        if reviewed is None or reviewed.year < ctx.today.year:
            when = f"last reviewed {reviewed}" if reviewed else "never reviewed"
            path = ("insurance", "reviewed_on") if reviewed else ("insurance",)
            yield warning("LIFE008", f"insurance plans {when}; review them in {ctx.today.year}",
                          origin=p.origin.at(*path), subject=p.id, key=reviewed is None)


@rule("GRP001", "Group members are providers at the group's office", Severity.ERROR, source=SEED001,
      explanation="A group is 'several providers [who] practice at an office location and ... share a "
      "specialty' (“Client Admin best practices”); sending offices refer to the group instead of a provider. A member "
      "who is not a provider, or not at the group's office, would receive referrals for a location "
      "they do not serve.",
      example_fix="members: [maria-lopez]   # a physician or physician_staff at the group's office")
def group_members_at_office(ctx):
    persons = ctx.org.persons
    for g in ctx.org.groups.values():
        for i, member_id in enumerate(g.members):
            m = persons.get(member_id)
            if m is None:
                continue
            if not m.is_provider:
                why = f"a {m.account_type}, not a provider"
            elif g.office not in m.offices:
                why = f"not at office {g.office!r}"
            else:
                continue
            yield error("GRP001", f"member {member_id!r} is {why}", origin=g.origin.at("members", i),
                        subject=g.id)


@rule("GRP002", "Groups have staff to act for them", Severity.WARNING, source=SEED001,
      explanation="'When creating groups, add office staff and office administrators as soon as "
      "possible so that par8o users can receive and/or send referrals on behalf of the group' "
      "(“Client Admin best practices”). A group without active staff has nobody to work its referrals.",
      example_fix="staff: [front-desk-anna]")
def group_has_staff(ctx):
    persons = ctx.org.persons
    for g in ctx.org.groups.values():
        if not any(s in persons and persons[s].active for s in g.staff):
            # the `staff:` key when written, else the start of the group's document
            yield warning("GRP002", "group has no active staff to act for it", origin=g.origin.at("staff"),
                          subject=g.id, key=True)


@rule("GRP003", "Consider a group for shared specialties", Severity.INFO, source=SEED001,
      explanation="'If several providers practice at an office location and the providers share a "
      "specialty, consider creating a group for the office location so that sending offices can "
      "refer to your location when unsure of provider availability' (“Client Admin best practices”). Reported per office "
      "when two or more active providers share a `specialty` and no group covers it.",
      example_fix="kind: Group\nid: eastside-ortho\noffice: eastside-rehab\nspecialty: orthopedics\n"
      "role: receiver\nmembers: [maria-lopez, sam-lee]")
def shared_specialty_group(ctx):
    at: dict[tuple[str, str], list[str]] = defaultdict(list)
    for p in ctx.org.persons.values():
        if p.active and p.is_provider and p.specialty:
            for office in p.offices:
                at[(office, p.specialty)].append(p.id)
    grouped = {(g.office, g.specialty) for g in ctx.org.groups.values()}
    for (office_id, specialty), ids in at.items():
        office = ctx.org.offices.get(office_id)
        if len(ids) >= 2 and (office_id, specialty) not in grouped and office is not None:
            yield info("GRP003", f"{len(ids)} {specialty} providers ({', '.join(ids)}) and no group for them",
                       origin=office.origin.at("id"), subject=office_id)


describe("NOTE001", "Tell the call center about provider changes", Severity.INFO, stage="plan", source=SEED001,
         explanation="'If your organization is supported by a call center, communicate provider changes "
         "to the call center's managing staff as soon as possible' (“Client Admin best practices”). A call center (an office "
         "with `call_center: true`) serves the organization's other offices; a plan that adds, removes "
         "or moves a provider at one of them lists, per call center, the provider changes and its "
         "managing staff: active people designated to it (`call_center:`) with an admin right, else "
         "everyone designated to it.",
         example_fix="Send the listed call-center managers the plan's provider changes before applying it.")
