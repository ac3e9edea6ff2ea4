"""Build small, valid org folders for tests: one Organization, three offices, eight
persons (providers with valid NPIs, staff, EMR profiles), a group and insurance plans.

`small_org()` returns plain dicts (one per document) that a test edits before `write_org`.
"""

from __future__ import annotations

import copy
from pathlib import Path

import yaml

NPIS = ["1234567893", "1245319599", "1679576722", "1003000126", "1555555006"]


def new_provider(pid: str, offices: list[str], npi: str = NPIS[4]) -> dict:
    """A provider document (no EMR profile) to add to an org in a test."""
    return {"kind": "Person", "id": pid, "name": pid.title(), "email": f"{pid}@test.example",
            "account_type": "physician", "offices": offices, "npi": npi, "specialty": "pediatrics",
            "profile_approved": True, "insurance": {"plans": ["medicare"], "reviewed_on": "2026-01-10"}}


def small_org(org_id: str = "testorg") -> dict[str, dict]:
    """Documents keyed by `<kind>/<id>`; every provider has an NPI that passes GOV001."""
    docs: dict[str, dict] = {}
    docs["org"] = {"kind": "Organization", "id": org_id, "name": "Test Health", "master_group": "test",
                   "policy": {"mass_change_limit": 0.25}}
    for oid, name in (("east", "East Clinic"), ("west", "West Clinic"), ("north", "North Clinic")):
        docs[f"office/{oid}"] = {"kind": "Office", "id": oid, "name": name, "go_live": "2026-01-05",
                                 "mips": "none", "virtual_visits": False,
                                 "licenses": {"therapist": 5, "assistant": 3, "student": 2}}
    docs["plan/medicare"] = {"kind": "InsurancePlan", "id": "medicare", "name": "Medicare"}

    def provider(pid, name, office, npi, user_type="PT"):
        return {"kind": "Person", "id": pid, "name": name, "email": f"{pid}@test.example", "status": "active",
                "account_type": "physician_staff", "offices": [office], "npi": npi, "specialty": "orthopedics",
                "profile_approved": True,
                "insurance": {"plans": ["medicare"], "reviewed_on": "2026-01-10"},
                "profiles": [{"id": f"{pid}-{user_type.lower()}", "user_type": user_type,
                              "email": f"{pid}.emr@test.example", "clinics": [office], "default_clinic": office,
                              "permissions": ["view_patients", "edit_patients", "start_soap_notes",
                                              "finish_soap_notes"], "signature": "drawn"}]}

    def staff(pid, name, offices):
        return {"kind": "Person", "id": pid, "name": name, "email": f"{pid}@test.example", "status": "active",
                "account_type": "office_staff", "offices": offices,
                "profiles": [{"id": f"{pid}-clerical", "user_type": "Clerical",
                              "email": f"{pid}.emr@test.example", "clinics": offices, "default_clinic": offices[0],
                              "permissions": ["view_patients"]}]}

    people = [
        provider("ann", "Ann Provider", "east", NPIS[0]),
        provider("bob", "Bob Provider", "west", NPIS[1]),
        provider("cat", "Cat Provider", "north", NPIS[2]),
        provider("dan", "Dan Provider", "east", NPIS[3], user_type="OT"),
        staff("eve", "Eve Staff", ["east"]),
        staff("fay", "Fay Staff", ["west"]),
        staff("gus", "Gus Staff", ["north"]),
        staff("hal", "Hal Staff", ["east", "west"]),
    ]
    for p in people:
        docs[f"person/{p['id']}"] = p
    docs["group/east-ortho"] = {"kind": "Group", "id": "east-ortho", "office": "east", "specialty": "orthopedics",
                                "role": "receiver", "members": ["ann", "dan"], "staff": ["eve"]}
    return docs


def write_org(root: Path, docs: dict[str, dict]) -> Path:
    """Write each document to its own file under `root` (replacing what was there)."""
    root.mkdir(parents=True, exist_ok=True)
    for old in root.glob("*.yaml"):
        old.unlink()
    for key, doc in docs.items():
        (root / (key.replace("/", "-") + ".yaml")).write_text(yaml.safe_dump(doc, sort_keys=False))
    return root


def edit(docs: dict[str, dict]) -> dict[str, dict]:
    return copy.deepcopy(docs)
