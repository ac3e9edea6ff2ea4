"""A SCIM server seeded as a health system's directory looks before the provisioner takes
over: a few hundred accounts made by hand, with near-duplicates (one name, two domains),
case-variant e-mails of one address, inactive accounts and office groups."""

from __future__ import annotations

import textwrap
from pathlib import Path

from .harness import EXTENSION_URN
from .harness.direct import direct_create
from .scimorg import target_yaml


def seed(server, n: int = 200, *, extension: bool = True) -> dict[str, list[dict]]:
    """Create `n` ordinary accounts plus the awkward ones; return them by situation."""
    made: dict[str, list[dict]] = {"plain": [], "inactive": [], "case_variant": [], "near_duplicate": []}
    for i in range(n):
        body = {"userName": f"user{i}@seed.example", "displayName": f"Seed Person{i}",
                "name": {"givenName": "Seed", "familyName": f"Person{i}"},
                "emails": [{"value": f"user{i}@seed.example", "type": "work", "primary": True}],
                "active": i % 10 != 3}
        if extension:
            body["schemas"] = ["urn:ietf:params:scim:schemas:core:2.0:User", EXTENSION_URN]
            body[EXTENSION_URN] = {"accountType": "office_staff", "offices": ["east"] if i % 2 else ["west"]}
        made["plain" if body["active"] else "inactive"].append(direct_create(server, body))
    for i in range(0, n, 40):  # the same address again, written in capitals by another admin (userName differs)
        made["case_variant"].append(direct_create(server, {
            "userName": f"user{i}.dup@seed.example", "active": False,
            "emails": [{"value": f"USER{i}@Seed.Example"}]}))
    for i in range(3):  # one name at two clinics' domains: both ids would be maria-lopez-<i>
        made["near_duplicate"].append(direct_create(server, {
            "userName": f"maria.lopez{i}@west.example", "displayName": f"Maria Lopez {i}", "active": True}))
        made["near_duplicate"].append(direct_create(server, {
            "userName": f"Maria.Lopez{i}@east.example", "displayName": f"Maria Lopez {i}", "active": True}))
    made["provider"] = []
    for office, npi in (("east", "1000000012"), ("west", "1000000020")):  # each clinic's doctor
        body = {"userName": f"dr.{office}@seed.example", "displayName": f"Doctor {office.title()}", "active": True}
        if extension:
            body["schemas"] = ["urn:ietf:params:scim:schemas:core:2.0:User", EXTENSION_URN]
            body[EXTENSION_URN] = {"accountType": "physician_staff", "offices": [office], "npi": npi,
                                   "specialty": "orthopedics"}
        made["provider"].append(direct_create(server, body))
    ids = {u["userName"]: u["id"] for u in made["plain"]}
    for office in ("east", "west"):  # the near-duplicates are known only as members of the east clinic
        members = [{"value": uid} for name, uid in sorted(ids.items())[:5]]
        members += [{"value": u["id"]} for u in made["near_duplicate"] if office == "east"]
        direct_create(server, {"schemas": ["urn:ietf:params:scim:schemas:core:2.0:Group"],
                               "externalId": f"office.{office}", "displayName": f"{office.title()} Clinic",
                               "members": members}, endpoint="/Groups")
    direct_create(server, {"schemas": ["urn:ietf:params:scim:schemas:core:2.0:Group"],
                           "displayName": "Ortho Senders", "members": []}, endpoint="/Groups")
    return made


ORG_ONLY = """\
kind: Organization
id: seeded
name: Seeded Health
master_group: seeded
policy: {mass_change_limit: 1.0}
"""


def empty_org(folder: Path, url: str, **target) -> Path:
    """An org folder with only its Organization and the Target to import from."""
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "org.yaml").write_text(ORG_ONLY, encoding="utf-8")
    (folder / "targets.yaml").write_text(target_yaml(url, **target), encoding="utf-8")
    return folder
