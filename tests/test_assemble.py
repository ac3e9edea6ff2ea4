"""The model: references resolved, ids unique, role templates expanded."""

from __future__ import annotations

import datetime as dt

from tests.conftest import TODAY, write
from provisioner.pipeline import validate


def test_model_is_typed_and_resolved(org_dir):
    org = validate(org_dir, today=TODAY).org
    ana = org.persons["ana-ruiz"]
    assert ana.offices == ("north",)
    assert ana.insurance.reviewed_on == dt.date(2026, 1, 10)
    assert ana.profiles[0].default_clinic == "north" and ana.profiles[0].person_id == "ana-ruiz"
    assert org.offices["access-center"].seats("therapist") is None  # unlimited
    assert org.offices["north"].seats("therapist") == 1
    assert org.offices["north"].seats("student") == 0
    assert org.offices["north"].seats("clerical") == 0


def test_role_template_fills_what_is_not_written(org_dir):
    ben = validate(org_dir, today=TODAY).org.persons["ben-cho"]
    assert ben.account_type == "office_staff" and ben.admin == ("office_admin",)
    assert ben.from_template == {"account_type", "admin"}


def test_explicit_fields_win_over_template(org_dir):
    write(org_dir, "p.yaml", """
        kind: Person
        id: dee
        name: Dee
        email: dee@lakeside.example
        template: office-manager
        admin: []
        offices: [north]
    """)
    dee = validate(org_dir, today=TODAY).org.persons["dee"]
    assert dee.admin == () and dee.from_template == {"account_type"}


def test_unknown_office_is_located_with_suggestion(org_dir):
    write(org_dir, "p.yaml", """
        kind: Person
        id: dee
        name: Dee
        email: dee@lakeside.example
        account_type: office_staff
        offices: [north, nroth-2]
    """)
    [d] = validate(org_dir, today=TODAY).diagnostics
    assert (d.code, d.line, d.column, d.subject) == ("REF001", 6, 18, "dee")
    assert "unknown office 'nroth-2'" in d.message and "did you mean 'north'" in d.message


def test_unknown_references_everywhere(org_dir):
    write(org_dir, "g.yaml", """
        kind: Group
        id: north-ortho
        office: south
        specialty: orthopedics
        role: receiver
        members: [ana-ruiz, zed]
        staff: [ben-cho]
    """)
    result = validate(org_dir, today=TODAY)
    assert [(d.code, d.line, d.column) for d in result.diagnostics] == [("REF001", 3, 9), ("REF001", 6, 21)]


def test_unknown_insurance_plan_and_call_center(org_dir):
    people = (org_dir / "people.yaml").read_text()
    people = people.replace("plans: [medicare]", "plans: [medicair]")
    (org_dir / "people.yaml").write_text(people)
    [d] = validate(org_dir, today=TODAY).diagnostics
    assert d.code == "REF001" and "unknown insurance plan 'medicair'" in d.message
    assert "did you mean 'medicare'" in d.message


def test_duplicate_ids_name_the_first_place(org_dir):
    write(org_dir, "sites/more.yaml", "kind: Office\nid: north\nname: Another North\n")
    [d] = validate(org_dir, today=TODAY).diagnostics
    assert (d.code, d.file, d.line) == ("ID001", "org/sites/more.yaml", 2)
    assert "already used in org/org.yaml" in d.message


def test_duplicate_profile_ids_across_people(org_dir):
    write(org_dir, "staff/dee.yaml", """
        kind: Person
        id: dee
        name: Dee
        email: dee@lakeside.example
        account_type: office_staff
        offices: [north]
        profiles:
          - {id: ana-ruiz-pt, user_type: Clerical, email: dee@lakeside.example, clinics: [north], default_clinic: north}
    """)
    [d] = validate(org_dir, today=TODAY).diagnostics
    assert d.code == "ID001" and "already used by person 'ana-ruiz'" in d.message


def test_one_organization_per_folder(org_dir):
    write(org_dir, "second.yaml", "kind: Organization\nid: other\nname: Other\nmaster_group: other\n")
    [d] = validate(org_dir, today=TODAY).diagnostics
    assert (d.code, d.file) == ("ORG001", "org/second.yaml")


def test_folder_without_organization(org_dir):
    (org_dir / "org.yaml").write_text("kind: InsurancePlan\nid: medicare\nname: Medicare\n")
    result = validate(org_dir, today=TODAY)
    assert result.org is None and [d.code for d in result.diagnostics] == ["ORG001"]
