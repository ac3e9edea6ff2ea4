"""Shared fixtures and helpers: small org folders written into tmp_path, good and bad, run
through the real pipeline so that findings come back located."""

from __future__ import annotations

import datetime as dt
import shutil
import textwrap
from pathlib import Path

import pytest

from provisioner.pipeline import validate

FIXTURES = Path(__file__).parent / "fixtures"
TODAY = dt.date(2026, 11, 23)


@pytest.fixture
def org_dir(tmp_path, monkeypatch) -> Path:
    """A copy of the minimal valid org; tests add or overwrite files in it. The working
    directory is tmp_path so that reported paths are short and predictable."""
    target = tmp_path / "org"
    shutil.copytree(FIXTURES / "minimal", target)
    monkeypatch.chdir(tmp_path)
    return target


def write(folder: Path, name: str, text: str | bytes) -> Path:
    path = folder / name
    path.parent.mkdir(parents=True, exist_ok=True)
    if isinstance(text, bytes):
        path.write_bytes(text)
    else:
        path.write_text(textwrap.dedent(text).lstrip("\n"), encoding="utf-8")
    return path


BASE = {
    "organization.yaml": """\
        kind: Organization
        id: testorg
        name: Test Org
        master_group: testorg
        """,
    "offices.yaml": """\
        kind: Office
        id: east
        name: East Clinic
        mips: individual
        virtual_visits: true
        licenses: {therapist: 1}
        """,
    "people.yaml": """\
        kind: Person
        id: dr-ana
        name: Ana Diaz
        email: ana@test.example
        account_type: physician_staff
        offices: [east]
        npi: "1234567893"
        specialty: orthopedics
        profile_approved: true
        insurance: {plans: [], reviewed_on: 2026-01-10}
        grants: {approved_by: cmo@test.example, justification: clinician, reviewed_on: 2026-09-01}
        profiles:
          - id: dr-ana-pt
            user_type: PT
            email: ana.pt@test.example
            clinics: [east]
            default_clinic: east
            permissions: [view_patients, start_soap_notes, finish_soap_notes]
            signature: drawn
        ---
        kind: Person
        id: olive
        name: Olive Stone
        email: olive@test.example
        account_type: office_staff
        offices: [east]
        """,
}


def write_org(root: Path, files: dict[str, str | None] | None = None) -> Path:
    """Write the base org plus `files` (name -> YAML text, dedented; None deletes a base file)."""
    root.mkdir(parents=True, exist_ok=True)
    merged = {**BASE, **(files or {})}
    for name, text in merged.items():
        if text is not None:
            (root / name).write_text(textwrap.dedent(text), encoding="utf-8")
    return root


@pytest.fixture
def make_org(tmp_path):
    """`make_org(**files)` -> path of a written org folder (the base org plus `files`)."""
    counter = iter(range(1000))

    def make(files: dict[str, str | None] | None = None, **named: str) -> Path:
        extra = dict(files or {})
        extra.update({f"{k}.yaml": v for k, v in named.items()})
        return write_org(tmp_path / f"org{next(counter)}", extra)

    return make


def run(path: Path, today: dt.date = TODAY):
    return validate(path, today=today)


def found(path: Path, code: str, today: dt.date = TODAY):
    """The located findings with `code`, as (file name, line, subject) triples."""
    result = run(path, today)
    return [(Path(d.file).name, d.line, d.subject) for d in result.diagnostics if d.code == code]


def pytest_collection_modifyitems(session, config, items):
    """When the pre-commit hook tests are selected, start building the hook's virtualenv
    (tests/precommit_env.py) now, so that pip works while the other tests run."""
    if any(item.path.name == "test_precommit_hook.py" for item in items):
        from tests.precommit_env import start_in_background

        start_in_background()


@pytest.fixture(scope="session")
def pg_cluster():
    """The tests' PostgreSQL server (tests/pgserver.py), started once per session."""
    from tests.pgserver import Cluster

    cluster = Cluster()
    yield cluster
    cluster.close()


@pytest.fixture
def pg_url(pg_cluster, monkeypatch):
    """A fresh database on the tests' server; the password comes from PGPASSWORD, as in CI."""
    from tests.pgserver import PASSWORD

    monkeypatch.setenv("PGPASSWORD", PASSWORD)
    return pg_cluster.url(pg_cluster.create_database())
