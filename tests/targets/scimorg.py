"""A small org that provisions into a SCIM server: written into a folder, applied and
synced through the real CLI (in process), read back through the state library."""

from __future__ import annotations

import textwrap
from pathlib import Path

from click.testing import CliRunner

from provisioner.cli import main
from provisioner.state import open_state

TODAY = "2026-11-23"
TOKEN_ENV = "TEST_SCIM_TOKEN"

ORG = """\
kind: Organization
id: scimorg
name: SCIM Test Org
master_group: scimorg
policy: {mass_change_limit: 1.0}
---
kind: Office
id: east
name: East Clinic
mips: individual
virtual_visits: true
licenses: {therapist: 100, assistant: 100}
"""

PROVIDER = """\
---
kind: Person
id: dr-{i}
name: Doctor Number{i}
email: dr{i}@scim.example
status: {status}
account_type: physician_staff
offices: [east]
npi: "{npi}"
specialty: orthopedics
profile_approved: true
insurance: {{plans: [], reviewed_on: 2026-01-10}}
grants: {{approved_by: cmo@scim.example, justification: clinician, reviewed_on: 2026-09-01}}
profiles:
  - id: dr-{i}-emr
    user_type: {user_type}
    email: dr{i}.emr@scim.example
    clinics: [east]
    default_clinic: east
    permissions: [view_patients, start_soap_notes, finish_soap_notes]
    signature: drawn
"""

STAFF = """\
---
kind: Person
id: staff-{i}
name: Staff Member{i}
email: {email}
status: {status}
account_type: office_staff
offices: [east]
"""


def luhn_npi(i: int) -> str:
    """A valid NPI (Luhn over the 80840 prefix) for person number i."""
    base = f"1{i:08d}"
    digits = [int(c) for c in "80840" + base]
    total = 0
    for n, d in enumerate(reversed(digits)):
        if n % 2 == 0:
            d *= 2
            d = d - 9 if d > 9 else d
        total += d
    return base + str((10 - total % 10) % 10)


def target_yaml(url: str, *, receives=("referral_accounts",), groups: bool = False, extra: str = "",
                timeout: float = 5) -> str:
    return textwrap.dedent(f"""\
        kind: Target
        id: idp
        name: Test SCIM service
        type: scim
        receives: [{", ".join(receives)}]
        groups: {str(groups).lower()}
        scim:
          url: {url}
          token_env: {TOKEN_ENV}
          backoff_seconds: 0.05
          timeout_seconds: {timeout}
        """) + textwrap.indent(textwrap.dedent(extra), "  ")


def write_org(folder: Path, url: str, *, staff: int = 4, providers: int = 1, inactive: set[str] = frozenset(),
              emails: dict[str, str] | None = None, user_type: str = "PT", **target) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    text = ORG
    for i in range(providers):
        status = "inactive" if f"dr-{i}" in inactive else "active"
        text += PROVIDER.format(i=i, status=status, npi=luhn_npi(i), user_type=user_type)
    for i in range(staff):
        status = "inactive" if f"staff-{i}" in inactive else "active"
        text += STAFF.format(i=i, status=status, email=(emails or {}).get(f"staff-{i}", f"staff{i}@scim.example"))
    (folder / "org.yaml").write_text(text, encoding="utf-8")
    (folder / "targets.yaml").write_text(target_yaml(url, **target), encoding="utf-8")
    return folder


def cli(*args, token: str | None = None):
    env = {TOKEN_ENV: token} if token is not None else {TOKEN_ENV: None}
    return CliRunner().invoke(main, [str(a) for a in args], env=env)


def apply(org: Path, state: str, token: str | None, *extra):
    return cli("apply", org, "--auto-approve", "--state", state, "--today", TODAY, *extra, token=token)


def sync(org: Path, state: str, token: str | None, *extra):
    return cli("sync", org, "--state", state, *extra, token=token)


def outbox(state: str, target: str = "idp"):
    backend = open_state(None, state, create=False)
    try:
        return backend.operations(target), backend.shadows(target)
    finally:
        backend.close()
