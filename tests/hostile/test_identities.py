"""Hostile and mistaken identities (DOMAIN ID001, EMAIL001, GOV007) and the domain rules
completed with them (mass-change guard, GOV006, GOV008, NOTE001, PERM004, LIC001, LIFE002,
invitations, one finding per mistake). One row per bad input; `tests/hostile/corpus.py`
checks exit code, located cause, no traceback, bounded output and no state write.

Values are written with YAML double-quote escapes ("\\n", "\\u200b"), so the files stay
plain ASCII and the odd character is exactly the one named.
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

from .corpus import MINIMAL, Case, check, ids, write_files

TODAY = "2026-11-23"
ORG_YAML = (MINIMAL / "org.yaml").read_text()
PEOPLE_YAML = (MINIMAL / "people.yaml").read_text()
PLAN = ("plan", "{org}", "--state", "{state}", "--today", TODAY)
VALIDATE = ("validate", "{org}", "--today", TODAY)


def person(id: str = "dee-lam", email: str = "dee.lam@lakeside.example", extra: str = "") -> str:
    """A Person document (referral staff at `north`); `extra` adds lines (no indent)."""
    return (f"kind: Person\nid: {id}\nname: Dee Lam\nemail: {email}\ntemplate: referral-staff\n"
            f"offices: [north]\n{extra}")


def provider(id: str = "eli-ford", npi: str = '"1245319599"', extra: str = "") -> str:
    return (f"kind: Person\nid: {id}\nname: Eli Ford\nemail: {id}@lakeside.example\naccount_type: physician\n"
            f"offices: [north]\nnpi: {npi}\nspecialty: pediatrics\nprofile_approved: true\n"
            f"insurance: {{plans: [medicare], reviewed_on: 2026-01-10}}\n{extra}")


def profile(id: str = "dee-lam-c", email: str = "dee.lam.emr@lakeside.example", user_type: str = "Clerical",
            clinic: str = "north", extra: str = "") -> str:
    """Lines of one EMR profile under `profiles:` (indented for a Person)."""
    text = (f"  - id: {id}\n    user_type: {user_type}\n    email: {email}\n    clinics: [{clinic}]\n"
            f"    default_clinic: {clinic}\n")
    return text + "".join(f"    {line}\n" for line in extra.splitlines())


def group(extra: str = "", office: str = "north", members: str = "[ana-ruiz]", staff: str = "[ben-cho]",
          id: str = "north-ortho") -> str:
    return (f"kind: Group\nid: {id}\noffice: {office}\nspecialty: orthopedics\nrole: receiver\n"
            f"members: {members}\nstaff: {staff}\n{extra}")


def applied(first: dict[str, str | None]):
    """A `setup` that applies `first` (files over the minimal org) into sqlite:///state.db with
    the CLI (in this process, to stay quick), before the row's own files are in place."""

    def setup(tmp: Path, org: Path) -> None:
        from click.testing import CliRunner

        from provisioner.cli import main

        v1 = tmp / "v1"
        shutil.copytree(MINIMAL, v1)
        write_files(v1, first)
        here = os.getcwd()
        os.chdir(tmp)
        try:
            result = CliRunner().invoke(main, ["apply", "v1", "--auto-approve", "--state", "sqlite:///state.db",
                                               "--today", TODAY, "--actor", "test"],
                                        env={"PROVISIONER_STATE": None})
        finally:
            os.chdir(here)
        assert result.exit_code == 0, result.output

    return setup


DEE = {"extra.yaml": person()}

# -- ids: surrounding whitespace, line breaks, invisible and bidi characters, homoglyphs ------
ID_ROWS = [
    Case("person-id-trailing-newline", files={"extra.yaml": person(id='"hugo-lam\\n"')},
         expect=r"ID001.*line break", located=r"extra\.yaml:2"),
    Case("person-id-duplicate-by-newline", files={"extra.yaml": person(id='"ana-ruiz\\n"')},
         expect=r"ID001.*line break", located=r"extra\.yaml:2"),
    Case("person-id-leading-space", files={"extra.yaml": person(id='" hugo-lam"')},
         expect=r"ID001.*space", located=r"extra\.yaml:2"),
    Case("person-id-trailing-space", files={"extra.yaml": person(id='"hugo-lam "')},
         expect=r"ID001.*space", located=r"extra\.yaml:2"),
    Case("person-id-zero-width", files={"extra.yaml": person(id='"hugo\\u200blam"')},
         expect=r"ID001.*(invisible|ZERO WIDTH)", located=r"extra\.yaml:2"),
    Case("person-id-bidi", files={"extra.yaml": person(id='"hugo\\u202elam"')},  # never echoed raw
         expect=r"^(?!.*\u202e).*ID001.*bidi", located=r"extra\.yaml:2"),
    Case("person-id-homoglyph", files={"extra.yaml": person(id='"hug\\u043e-lam"')},
         expect=r"ID001.*CYRILLIC", located=r"extra\.yaml:2"),
    Case("org-id-newline-never-names-a-state-file", args=("plan", "{org}", "--today", TODAY),
         files={"org.yaml": ORG_YAML
                .replace("id: lakeside-clinic", 'id: "lakeside-clinic\\n"')},
         expect=r"ID001.*line break", located=r"org\.yaml:2"),
    Case("office-id-newline", files={"extra.yaml": 'kind: Office\nid: "south\\n"\nname: South\n'},
         expect=r"ID001.*line break", located=r"extra\.yaml:2"),
    Case("plan-id-newline", files={"extra.yaml": 'kind: InsurancePlan\nid: "bcbs\\n"\nname: BCBS\n'},
         expect=r"ID001.*line break", located=r"extra\.yaml:2"),
    Case("group-id-newline", files={"extra.yaml": group(id='"north-ortho\\n"')},
         expect=r"ID001.*line break", located=r"extra\.yaml:2"),
    Case("profile-id-newline", files={"extra.yaml": person(extra="profiles:\n" + profile(id='"dee-c\\n"'))},
         expect=r"ID001.*line break", located=r"extra\.yaml:8"),
    Case("offices-item-newline", files={"extra.yaml": person().replace("[north]", '["north\\n"]')},
         expect=r"ID001.*line break", located=r"extra\.yaml:6"),
    Case("admin-offices-item-space",
         files={"extra.yaml": person(extra='admin: [office_admin]\nadmin_offices: ["north "]\n')},
         expect=r"ID001.*space", located=r"extra\.yaml:8"),
    Case("clinics-item-zero-width",
         files={"extra.yaml": person(extra="profiles:\n" + profile().replace("[north]", '["nor\\u200bth"]'))},
         expect=r"ID001.*(invisible|ZERO WIDTH)", located=r"extra\.yaml:11"),
    Case("default-clinic-newline",
         files={"extra.yaml": person(extra="profiles:\n" + profile().replace("default_clinic: north",
                                                                            'default_clinic: "north\\n"'))},
         expect=r"ID001.*line break", located=r"extra\.yaml:12"),
    Case("supervisor-bidi", files={"extra.yaml": person(extra="profiles:\n" + profile(
        user_type="PTA", extra='supervisor: "ana-ruiz\\u202c"'))},
         expect=r"ID001.*bidi", located=r"extra\.yaml:13"),
    Case("call-center-newline", files={"extra.yaml": person(extra='call_center: "access-center\\n"').replace(
        "template: referral-staff", "account_type: master_group_staff").replace("offices: [north]\n", "")},
         expect=r"ID001.*line break", located=r"extra\.yaml:6"),
    Case("disposition-to-newline", files={"extra.yaml": provider(
        extra='status: inactive\nreferral_disposition: {action: reassign, to: "ana-ruiz\\n"}\n')},
         expect=r"ID001.*line break", located=r"extra\.yaml:12"),
    Case("group-member-newline", files={"extra.yaml": group(members='["ana-ruiz\\n"]')},
         expect=r"ID001.*line break", located=r"extra\.yaml:6"),
    Case("group-staff-bidi", files={"extra.yaml": group(staff='["ben-cho\\u2066"]')},
         expect=r"ID001.*bidi", located=r"extra\.yaml:7"),
    Case("group-office-trailing-space", files={"extra.yaml": group(office='"north "')},
         expect=r"ID001.*space", located=r"extra\.yaml:3"),
    Case("insurance-plan-item-newline",
         files={"extra.yaml": provider(npi='"1245319599"').replace("[medicare]", '["medicare\\n"]')},
         expect=r"ID001.*line break", located=r"extra\.yaml:10"),
    Case("cli-org-id-newline", args=("state", "list", "lakeside-clinic\n"),
         expect=r"ID001.*line break"),
    Case("cli-org-id-path-escape", args=("invitations", "../lakeside-clinic", "--today", TODAY),
         expect=r"plain org id \(ID001\)"),
    Case("cli-org-id-bidi", args=("state", "show", "person.ana-ruiz", "--org", "lakeside\u202eclinic"),
         expect=r"ID001.*bidi"),
    Case("waiver-subject-newline", files={"extra.yaml": (
        'kind: Waiver\nrule: LIC003\nsubject: "north/therapist\\n"\njustification: held\n'
        'approved_by: cmo@lakeside.example\nexpires: 2027-01-01\n')},
         expect=r"ID001.*line break", located=r"extra\.yaml:3"),
    Case("previously-newline", files={"extra.yaml": person(extra='previously: "dee\\n"\n')},
         expect=r"ID001.*line break", located=r"extra\.yaml:7"),
]

# -- e-mails: the same, plus normalisation (NFKC + case folding) and mixed scripts ----------
EMAIL_ROWS = [
    Case("login-trailing-newline", files={"extra.yaml": person(email='"dee.lam@lakeside.example\\n"')},
         expect=r"EMAIL001.*line break", located=r"extra\.yaml:4"),
    Case("login-leading-space", files={"extra.yaml": person(email='" dee.lam@lakeside.example"')},
         expect=r"EMAIL001.*space", located=r"extra\.yaml:4"),
    Case("login-zero-width", files={"extra.yaml": person(email='"dee.lam\\u200b@lakeside.example"')},
         expect=r"EMAIL001.*(invisible|ZERO WIDTH)", located=r"extra\.yaml:4"),
    Case("login-zero-width-clone", files={"extra.yaml": person(email='"ana.ruiz\\u200d@lakeside.example"')},
         expect=r"EMAIL001.*(invisible|ZERO WIDTH)", located=r"extra\.yaml:4"),
    Case("login-bidi-override", files={"extra.yaml": person(email='"dee.lam@\\u202eelpmaxe.edisekal"')},
         expect=r"^(?!.*\u202e).*EMAIL001.*bidi", located=r"extra\.yaml:4"),
    Case("login-no-break-space", files={"extra.yaml": person(email='"dee\\u00a0lam@lakeside.example"')},
         expect=r"EMAIL001.*(space|NO-BREAK)", located=r"extra\.yaml:4"),
    Case("profile-email-newline",
         files={"extra.yaml": person(extra="profiles:\n" + profile(email='"dee.c@lakeside.example\\n"'))},
         expect=r"EMAIL001.*line break", located=r"extra\.yaml:10"),
    Case("approved-by-newline", files={"extra.yaml": person(
        extra='grants: {approved_by: "cmo@lakeside.example\\n", justification: staff}\n')},
         expect=r"EMAIL001.*line break", located=r"extra\.yaml:7"),
    Case("waiver-approved-by-bidi", files={"extra.yaml": (
        'kind: Waiver\nrule: LIC003\nsubject: north/therapist\njustification: held\n'
        'approved_by: "cmo@lakeside.example\\u200f"\nexpires: 2027-01-01\n')},
         expect=r"EMAIL001.*bidi", located=r"extra\.yaml:5"),
    Case("attestation-by-newline", files={"extra.yaml": person(extra="profiles:\n" + profile(
        user_type="Clerical", extra='attestation: {by: "ana-ruiz\\n", date: 2026-01-02}'))},
         expect=r"(ID001|EMAIL001).*line break", located=r"extra\.yaml:13"),
    Case("login-duplicate-by-case", files={"extra.yaml": person(email="ANA.Ruiz@LAKESIDE.example")},
         expect=r"EMAIL001.*by person 'dee-lam'", located=r"people\.yaml:4"),
    Case("login-duplicate-names-where", files={"extra.yaml": person(email="ana.ruiz@lakeside.example")},
         expect=r"EMAIL001.*by person 'dee-lam' \(org/extra\.yaml:4\)", located=r"people\.yaml:4"),
    Case("login-duplicate-by-root-dot", files={"extra.yaml": person(email="ana.ruiz@lakeside.example.")},
         expect=r"EMAIL001.*by person 'dee-lam'", located=r"people\.yaml:4"),
    Case("login-duplicate-by-needless-quotes", files={"extra.yaml": person(email="'\"ana.ruiz\"@lakeside.example'")},
         expect=r"EMAIL001.*by person 'dee-lam'", located=r"people\.yaml:4"),
    Case("login-duplicate-by-nfkc-fullwidth", files={"extra.yaml": person(email='"\\uff41na.ruiz@lakeside.example"')},
         expect=r"EMAIL001.*by person 'dee-lam'", located=r"people\.yaml:4"),
    Case("login-duplicate-by-casefold-sharp-s", files={"extra.yaml": person(
        email="dee.strasse@lakeside.example") + "---\n" + person(id="dee-two", email='"dee.stra\\u00dfe@lakeside.example"')},
         expect=r"EMAIL001.*dee-lam", located=r"extra\.yaml:11"),
    Case("profile-email-duplicate-by-nfkc", files={"extra.yaml": person(
        extra="profiles:\n" + profile(email='"ana.ruiz@lakeside.\\uff45xample"'))},
         expect=r"EMAIL001.*by profile 'dee-lam/dee-lam-c'", located=r"people\.yaml:15"),
    Case("login-mixed-script", files={"extra.yaml": person(email='"\\u0430na.ruiz@lakeside.example"')},
         expect=r"warning EMAIL002.*(Cyrillic|CYRILLIC)", located=r"extra\.yaml:4", exit=0),
]

# -- one NPI, one person (GOV007) ------------------------------------------------------------
NPI_ROWS = [
    Case("npi-shared-by-two-providers", files={"extra.yaml": provider(npi='"1234567893"')},
         expect=r"GOV007.*ana-ruiz", located=r"extra\.yaml:7"),
]

# -- e-mail reuse and renames against the applied state (EMAIL001, ID001) --------------------
STATE_ROWS = [
    Case("login-reused-from-deactivated-person", setup=applied(DEE), args=PLAN,
         files={"extra.yaml": person(id="dee-lam-2")},
         expect=r"EMAIL001.*deactivated.*person\.dee-lam", located=r"extra\.yaml:4"),
    Case("login-reused-by-case-from-deactivated-person", setup=applied(DEE), args=PLAN,
         files={"extra.yaml": person(id="dee-lam-2", email="Dee.Lam@Lakeside.Example")},
         expect=r"EMAIL001.*deactivated.*person\.dee-lam", located=r"extra\.yaml:4"),
    Case("unannounced-rename", setup=applied(DEE), args=PLAN,
         files={"extra.yaml": person(id="dee-lam-khan")},
         expect=r"EMAIL001.*previously: dee-lam", located=r"extra\.yaml:4"),
    Case("profile-email-reused-by-another-person", setup=applied({}), args=PLAN,
         files={"people.yaml": PEOPLE_YAML
                .split("profiles:")[0] + PEOPLE_YAML
                .split("signature: drawn\n")[1],
                "extra.yaml": person(extra="profiles:\n" + profile(email="ana.ruiz@lakeside.example"))},
         expect=r"EMAIL001.*deactivated.*profile\.ana-ruiz-pt", located=r"extra\.yaml:10"),
    Case("previously-names-a-configured-person", files={"extra.yaml": person(extra="previously: ben-cho\n")},
         expect=r"ID001.*ben-cho", located=r"extra\.yaml:7"),
    Case("rename-with-previously-is-a-move", setup=applied(DEE), args=PLAN, exit=0,
         files={"extra.yaml": person(id="dee-lam-khan", extra="previously: dee-lam\n")},
         expect=r"person\.dee-lam-khan.*move.*person\.dee-lam"),
]

# -- domain rules completed (item 5) and usability of the messages (item 9) ------------------
SIX = "".join("---\n" + person(id=f"p{i}", email=f"p{i}@lakeside.example") for i in range(6))
CLERICAL = {"extra.yaml": SIX + "---\n" + person(extra="profiles:\n" + profile()) + "---\n"
            + person(id="fay-lu", email="fay.lu@lakeside.example", extra="profiles:\n"
                     + profile(id="fay-lu-c", email="fay.emr@lakeside.example"))}
RULE_ROWS = [
    Case("mass-change-counts-profiles-apart", setup=applied(CLERICAL), args=PLAN,
         files={"extra.yaml": SIX + "---\n" + person() + "---\n"
                + person(id="fay-lu", email="fay.lu@lakeside.example")},
         expect=r"MASS001.*2 of 3 active EMR profiles"),
    Case("deactivation-revokes-invitation", setup=applied(DEE), args=PLAN, exit=0,
         files={"extra.yaml": person(extra="status: inactive\n")},
         expect=r"invitation\.person\.dee-lam.*revoked"),
    Case("note-to-call-center-staff", setup=applied({}), args=PLAN, exit=0,
         files={"extra.yaml": provider()},
         expect=r"info NOTE001.*cy-park"),
    Case("bad-date-is-one-error", files={"extra.yaml": provider(extra="end_date: 2026-1-5\n")},
         expect=r"^(?!.*error.*error: ).*\b1 error\b", located=r"extra\.yaml:11"),
    Case("front-office-once-per-profile", files={"extra.yaml": person(extra="front_office: scheduler\nprofiles:\n"
         + profile(extra="permissions: [start_soap_notes, forward_soap_notes, finish_soap_notes]"))},
         expect=r"^(?!.*FO002.*FO002).*error FO002"),
    Case("perm003-once-per-line", files={"extra.yaml": "".join(
        "---\n" + person(id=f"adm{i}", email=f"adm{i}@lakeside.example", extra="grants: {approved_by: "
                         "cmo@lakeside.example, justification: admin, reviewed_on: 2026-11-01}\nprofiles:\n"
                         + profile(id=f"adm{i}-c", email=f"adm{i}.c@lakeside.example", extra="admin: true"))
        for i in range(3))}, exit=0,
         expect=r"^(?!.*PERM003.*PERM003).*warning PERM003"),
    Case("licence-type-absent-means-no-seats", files={"extra.yaml": person(extra="profiles:\n" + profile(
        user_type="PTA", extra="supervisor: ana-ruiz"))},
         expect=r"LIC001.*assistant", located=r"org\.yaml:\d+"),
    Case("office-without-licenses-has-no-seats", files={"extra.yaml": "kind: Office\nid: south\nname: South\n"
         "---\n" + person(extra="profiles:\n" + profile(user_type="PT", clinic="south"))},
         expect=r"LIC001.*no therapist licences.*0 seats", located=r"extra\.yaml:1"),
    Case("mips-on-clerical-profile", files={"extra.yaml": person(extra="profiles:\n" + profile(extra="mips: true"))},
         expect=r"error PERM004.*clinician", located=r"extra\.yaml:13"),
    Case("mips-at-group-reporting-clinic", exit=0, files={
        "org.yaml": ORG_YAML
        .replace("mips: individual", "mips: group"),
        "people.yaml": PEOPLE_YAML
        .replace("    signature: drawn", "    signature: drawn\n    mips: true")},
         expect=r"warning PERM004.*group", located=r"people\.yaml:20"),
    Case("view-users-with-billing-reports", exit=0, files={"extra.yaml": person(extra=(
        "grants: {approved_by: cmo@lakeside.example, justification: billing, reviewed_on: 2026-11-01}\n"
        "profiles:\n" + profile(extra="permissions: [view_users, billing_report_admin]")))},
         expect=r"warning GOV006.*view_users", located=r"extra\.yaml:\d+"),
    Case("no-client-admin", exit=0, expect=r"warning GOV008", located=r"org\.yaml:1", files={
        "people.yaml": PEOPLE_YAML
        .replace("template: call-center-manager", "template: call-center-staff")}),
    Case("disposition-message-shape", files={"extra.yaml": provider(extra="status: inactive\n")},
         expect=r"LIFE002.*referral_disposition: \{action: reassign, to: <provider>\}", located=r"extra\.yaml:\d+"),
]

CASES = ID_ROWS + EMAIL_ROWS + NPI_ROWS + STATE_ROWS + RULE_ROWS


@pytest.mark.parametrize("case", CASES, ids=ids(CASES))
def test_identity_rows(case, tmp_path):
    check(case, tmp_path)


def test_the_table_is_large_enough():
    assert len(CASES) >= 35
