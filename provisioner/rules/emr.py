"""EMR users (“Managing Users and Permissions”): TYPE, EMAIL and PERM rules on EMR profiles and their effective
permissions (the profile `admin` flag already expanded by access.py). Licence seats are
in licences.py.
"""

from __future__ import annotations

from ..diagnostics import Severity, error, warning
from ..identifiers import normal_email, scripts
from ..vocabulary import (
    DISCIPLINE_OF_USER_TYPE, LICENSE_OF_USER_TYPE, LIMITED_ADMIN_PERMISSIONS, USER_TYPES,
)

from .catalog import describe, rule

MIPS_LICENSE_TYPES = ("therapist", "assistant")  # clinicians who report MIPS (PERM004)

SEED003 = "“Managing Users and Permissions (Large Organizations)” (docs/domain.md)"


def _subject(profile) -> str:
    return f"{profile.person_id}/{profile.id}"


@rule("TYPE001", "User type is one of the eleven", Severity.ERROR, source=SEED003,
      explanation="WebPT user types are PT, OT, SLP (therapist licence), PTA, COTA, SLPA (assistant), "
      "Clerical, Biller (clerical, not charged) and SPT, SOT, SSLP (student); the user type decides "
      "the licence a profile uses. The schema already refuses other values.",
      example_fix="user_type: PTA")
def user_type_known(ctx):
    for prof in ctx.org.profiles():
        if prof.user_type not in USER_TYPES:
            yield error("TYPE001", f"unknown user type {prof.user_type!r}; one of: {', '.join(USER_TYPES)}",
                        origin=prof.origin.at("user_type"), subject=_subject(prof))


describe("TYPE002", "User types are never changed in place", Severity.ERROR, stage="plan", source=SEED003,
         explanation="'Never update an existing profile's User Type ... create a new profile with the "
         "PT user and inactivate the previous SPT profile' (“Managing Users and Permissions”). The plan turns a user-type "
         "change into a replace: a new profile, the old one inactivated and its e-mail marked so the "
         "new profile can take it.",
         example_fix="Add a new profile `sam-lee-pt` (user_type: PT) and set the SPT profile inactive.")


@rule("TYPE003", "One profile per discipline", Severity.ERROR, source=SEED003,
      explanation="'Each user type requires its own profile to ensure proper tracking and billing. "
      "... if you have a user that is both a PT and an OT, you'll need to create two separate "
      "profiles' (“Managing Users and Permissions”). Conversely one person has at most one active profile per discipline "
      "(physical therapy, occupational therapy, speech-language, clerical, billing); an inactive "
      "profile replaced by a new one does not count.",
      example_fix="Set the old SPT profile `status: inactive` once the PT profile exists.")
def one_profile_per_discipline(ctx):
    for person in ctx.org.persons.values():
        seen: dict[str, str] = {}
        for prof in person.profiles:
            if not prof.active:
                continue
            discipline = DISCIPLINE_OF_USER_TYPE.get(prof.user_type, prof.user_type)
            if discipline in seen:
                yield error("TYPE003", f"second active {discipline.replace('_', ' ')} profile; "
                            f"{seen[discipline]!r} already covers it", origin=prof.origin.at("user_type"),
                            subject=_subject(prof))
            else:
                seen[discipline] = prof.id


@rule("EMAIL001", "E-mails are unique", Severity.ERROR, source=SEED003 + "; “Client Admin best practices” (docs/domain.md)",
      explanation="'Each user profile requires a unique email address' (“Managing Users and Permissions”), and a par8o "
      "account is confirmed through its e-mail (“Client Admin best practices”). Compared after Unicode NFKC and case "
      "folding (so `ANA@x`, `ａna@x` and `ana@x` are one address), inactive accounts included: each "
      "person's login among persons, each EMR profile's among profiles. A person's login may equal "
      "one of their own profiles' e-mails. The plan also compares with the applied state: an "
      "address held by a deactivated account stays taken, and a renamed person says "
      "`previously: OLD-ID`. Surrounding whitespace, line breaks, invisible and bidi characters "
      "are refused as they are read. The message names where the other holder is.",
      example_fix="email: maria.lopez+ot@riverside.example   # a distinct proxy address")
def emails_unique(ctx):
    logins: dict[str, object] = {}
    for p in ctx.org.persons.values():
        key = normal_email(p.email)
        first = logins.setdefault(key, p)
        if first is not p:
            yield error("EMAIL001", f"login e-mail {p.email!r} is already used by person {first.id!r} ({{at}})",
                        origin=p.origin.at("email"), subject=p.id, related=first.origin.at("email"))
    profiles: dict[str, object] = {}
    for prof in ctx.org.profiles():
        key = normal_email(prof.email)
        first = profiles.setdefault(key, prof)
        if first is not prof:
            yield error("EMAIL001", f"profile e-mail {prof.email!r} is already used by profile "
                        f"{_subject(first)!r} ({{at}})", origin=prof.origin.at("email"), subject=_subject(prof),
                        related=first.origin.at("email"))


@rule("EMAIL002", "E-mail addresses use one script", Severity.WARNING, source="Unicode TR #39 (mixed-script "
      "confusables); docs/domain.md (EMAIL001)",
      explanation="An address whose letters mix scripts (a Cyrillic `а` among Latin letters) looks "
      "like another address but is a different login: the classic way to slip a look-alike account "
      "past a reviewer. Each login and profile e-mail whose letters come from more than one script "
      "is reported with the scripts it mixes.",
      example_fix="email: ana.ruiz@riverside.example   # retype the address in plain Latin letters")
def emails_one_script(ctx):
    def check(address, origin, subject):
        found = scripts(address)
        if len(found) > 1:
            yield warning("EMAIL002", f"e-mail {address!r} mixes scripts ({', '.join(found)}): it can pass "
                          "for another address", origin=origin.at("email"), subject=subject)

    for p in ctx.org.persons.values():
        yield from check(p.email, p.origin, p.id)
        for prof in p.profiles:
            yield from check(prof.email, prof.origin, _subject(prof))


@rule("PERM001", "Edit Users comes with View Users", Severity.WARNING, source=SEED003,
      explanation="'View Users' lists users and 'Edit Users' updates them; 'having both permissions "
      "enabled is referred to as being a Full User Manager' (“Managing Users and Permissions”). Edit without view is an "
      "incomplete grant that usually means a permission was forgotten.",
      example_fix="permissions: [view_users, edit_users]")
def edit_users_needs_view(ctx):
    for pa in ctx.access.values():
        for prof in pa.profiles:
            names = prof.names()
            if "edit_users" in names and "view_users" not in names:
                yield warning("PERM001", "edit_users without view_users", origin=prof.first("edit_users").origin,
                              subject=f"{pa.person_id}/{prof.profile_id}")


@rule("PERM002", "Assistants finishing notes are attested", Severity.ERROR, source=SEED003,
      explanation="'Finish SOAP Notes ... The user manager must complete an attestation if enabling "
      "this permission for an assistant user type' (“Managing Users and Permissions”); assistants normally only start and "
      "forward notes 'unless assistant finalization is specifically allowed by a payer'. Record "
      "who attested and when.",
      example_fix="attestation: {by: clinic-director, date: 2026-03-01}")
def assistant_finish_attested(ctx):
    for person in ctx.org.persons.values():
        for prof, pa in zip(person.profiles, ctx.access[person.id].profiles):
            perm = pa.first("finish_soap_notes")
            if pa.license_type == "assistant" and perm and prof.attestation is None:
                yield error("PERM002", f"{prof.user_type} may finish SOAP notes only with an `attestation`",
                            origin=perm.origin, subject=_subject(prof))


@rule("PERM003", "Limited admin permissions have few holders", Severity.WARNING, source=SEED003,
      explanation="“Managing Users and Permissions” says 'you probably want to limit' calendar, clinic, company, billing-report "
      "and insurance admin ('even fewer users' for company admin; 'restrict to a few people' for "
      "billing reports). Active persons holding each one, directly or through the profile `admin` "
      "flag, are counted against `policy.permission_limits` (default 2 each). The subject is the "
      "permission; the finding points at the first holder over the limit. Permissions put over "
      "their limit at one place (one `admin: true` flag) make one finding, whose subject joins "
      "their names with `+` (e.g. `calendar_admin+clinic_admin`).",
      example_fix="policy: {permission_limits: {clinic_admin: 3}}   # or remove the permission")
def limited_admin_holders(ctx):
    holders: dict[str, list] = {name: [] for name in LIMITED_ADMIN_PERMISSIONS}
    for pa in ctx.access.values():
        if not pa.active:
            continue
        for name in LIMITED_ADMIN_PERMISSIONS:
            held = next((perm for prof in pa.profiles if prof.active for perm in prof.permissions
                         if perm.name == name), None)
            if held:
                holders[name].append((pa.person_id, held))
    # One finding per place: the `admin: true` flag of the first holder over the limit can put
    # five permissions over at once; that is one mistake, reported once, naming all five.
    over: dict[object, list[tuple[str, list, int]]] = {}
    for name, found in holders.items():
        limit = ctx.org.policy.permission_limit(name)
        if len(found) > limit:
            over.setdefault(found[limit][1].origin, []).append((name, found, limit))
    for origin, items in over.items():
        text = "; ".join(f"{len(found)} holders of {name} ({', '.join(h[0] for h in found)}), the policy "
                         f"allows {limit}" for name, found, limit in items)
        yield warning("PERM003", text, origin=origin, subject="+".join(name for name, _, _ in items))


@rule("PERM004", "MIPS and virtual visits only where the clinic has them", Severity.ERROR, source=SEED003,
      explanation="The MIPS column appears 'only if the clinic is MIPS enabled' and Virtual Visits "
      "'only if you're enabled for virtual visits' (“Managing Users and Permissions”). A profile cannot report MIPS or hold "
      "virtual visits at a default clinic with `mips: none` or `virtual_visits: false`. MIPS is a "
      "clinician's flag: on a clerical, biller or student profile it is an error. At a clinic that "
      "reports MIPS as a group every therapist reports with the group, so a per-user flag there is "
      "a warning (it has no effect).",
      example_fix="mips: individual   # on the office, or remove `mips: true` from the profile")
def clinic_features_enabled(ctx):
    offices = ctx.org.offices
    for prof in ctx.org.profiles():
        office = offices.get(prof.default_clinic)
        if office is None:
            continue
        if prof.mips:
            license_type = LICENSE_OF_USER_TYPE.get(prof.user_type)
            if license_type not in MIPS_LICENSE_TYPES:
                yield error("PERM004", f"MIPS is a clinician's flag; a {prof.user_type} profile "
                            f"({license_type}) does not report MIPS", origin=prof.origin.at("mips"),
                            subject=_subject(prof))
            elif office.mips == "none":
                yield error("PERM004", f"MIPS is not enabled at default clinic {office.id!r}",
                            origin=prof.origin.at("mips"), subject=_subject(prof))
            elif office.mips == "group":
                yield warning("PERM004", f"default clinic {office.id!r} reports MIPS as a group: every "
                              "therapist there reports with the group, so `mips: true` has no effect",
                              origin=prof.origin.at("mips"), subject=_subject(prof))
        if prof.virtual_visits and not office.virtual_visits:
            yield error("PERM004", f"virtual visits are not enabled at default clinic {office.id!r}",
                        origin=prof.origin.at("virtual_visits"), subject=_subject(prof))


@rule("PERM005", "Therapists who finish notes have a signature", Severity.WARNING, source=SEED003,
      explanation="'Establish Provider Signatures on the therapist's profile for use in "
      "Documentation' (“Managing Users and Permissions”): uploaded, drawn or selected. A therapist who can finish SOAP "
      "notes without a signature on file produces unsigned documentation.",
      example_fix="signature: drawn")
def therapist_signature(ctx):
    for person in ctx.org.persons.values():
        for prof, pa in zip(person.profiles, ctx.access[person.id].profiles):
            perm = pa.first("finish_soap_notes")
            if prof.active and pa.license_type == "therapist" and perm and prof.signature is None:
                yield warning("PERM005", "can finish SOAP notes but has no `signature` on file",
                              origin=perm.origin, subject=_subject(prof))
