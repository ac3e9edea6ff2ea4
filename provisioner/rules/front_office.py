"""Front Office roles (“Front Office Role”): FO rules. The permission sets of the two sub-roles are in
vocabulary.py and expanded per person by access.py; here they are judged.
"""

from __future__ import annotations

from ..access import field_source
from ..diagnostics import Severity, error
from ..vocabulary import (
    CLINICIAN_LICENSE_TYPES, CLINICIAN_ONLY_PERMISSIONS, FRONT_OFFICE_PERMISSIONS, FRONT_OFFICE_ROLES,
    LICENSE_OF_USER_TYPE,
)
from .catalog import describe, rule

SEED002 = "“Front Office Role” (docs/domain.md); 45 CFR 164.502(b) minimum necessary"


@rule("FO001", "Front Office sub-role is scheduler or biller", Severity.ERROR, source=SEED002,
      explanation="'Two Front Office sub-roles include Scheduler and Biller ... The minimum "
      "permissions for a Front Office role is Scheduler permissions' (“Front Office Role”). Any other value "
      "has no defined permission set. The biller set includes every scheduler permission; the "
      "check also guards that expansion.",
      example_fix="front_office: scheduler")
def front_office_role_known(ctx):
    scheduler = set(FRONT_OFFICE_PERMISSIONS["scheduler"])
    for p in ctx.org.persons.values():
        role = p.front_office
        if role is None:
            continue
        _, origin = field_source(p, "front_office", role)
        if role not in FRONT_OFFICE_ROLES:
            yield error("FO001", f"unknown Front Office sub-role {role!r}; one of: scheduler, biller",
                        origin=origin, subject=p.id)
        elif not scheduler <= {perm.name for perm in ctx.access[p.id].front_office}:
            yield error("FO001", f"{role} lacks scheduler permissions", origin=origin, subject=p.id)


def _is_clinician(person) -> bool:
    return person.is_provider or any(
        prof.active and LICENSE_OF_USER_TYPE.get(prof.user_type) in CLINICIAN_LICENSE_TYPES
        for prof in person.profiles)


@rule("FO002", "Front-office-only accounts get no clinician-only permissions", Severity.ERROR, source=SEED002,
      explanation="'A Front Office account holder CANNOT view private clinical information, such as "
      "chart notes and uploaded documents designated for clinician eyes only' (“Front Office Role”). A person "
      "with a Front Office role and no clinician role (no provider account, no active therapist, "
      "assistant or student profile) must not hold SOAP-note permissions on any EMR profile.",
      example_fix="permissions: [view_patients, edit_patients, analytics_access]   # no *_soap_notes")
def front_office_no_clinical(ctx):
    for p in ctx.org.persons.values():
        if p.front_office is None or _is_clinician(p):
            continue
        for prof in ctx.access[p.id].profiles:
            held = [perm for perm in prof.permissions if perm.name in CLINICIAN_ONLY_PERMISSIONS]
            if held:  # one finding per profile, naming every clinician-only permission
                names = ", ".join(dict.fromkeys(perm.name for perm in held))
                yield error("FO002", f"front-office-only account holds clinician-only permission(s) {names}",
                            origin=held[0].origin, subject=f"{p.id}/{prof.profile_id}")


describe("FO003", "Effective front-office permissions are documented", None, stage="report", source=SEED002,
         explanation="The Privacy Rule asks covered entities to document minimum-necessary access "
         "decisions; “Front Office Role” lists each sub-role's permissions for that purpose. `provisioner access "
         "ORG_DIR --all` lists every person's effective Front Office permission set and the line it "
         "comes from; `provisioner report ORG_DIR --out ORG_DIR/ACCESS.md` keeps each role's set in the "
         "repository.",
         example_fix="provisioner access orgs/riverside-health --all   # read the front_office rights")
