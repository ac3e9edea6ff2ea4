"""Fixtures for the plan/state/cli tests: a small valid org folder and a state URL in
tmp_path, with the working directory and environment isolated. Registered by the
conftest.py of tests/plan, tests/state and tests/cli."""

import pytest

from tests.orgbuilder import small_org, write_org


@pytest.fixture
def isolated(monkeypatch, tmp_path):
    """Run in tmp_path with no PROVISIONER_STATE, no colour and a fixed actor."""
    monkeypatch.delenv("PROVISIONER_STATE", raising=False)
    monkeypatch.setenv("NO_COLOR", "1")
    monkeypatch.setenv("PROVISIONER_ACTOR", "tester@test.example")
    monkeypatch.chdir(tmp_path)
    return tmp_path


@pytest.fixture
def org_docs():
    return small_org()


@pytest.fixture
def org_folder(isolated, tmp_path, org_docs):
    return write_org(tmp_path / "org", org_docs)


@pytest.fixture
def sqlite_url(isolated, tmp_path):
    """An explicit SQLite state location; like a user's, its folder exists (only `.provisioner/` is made)."""
    (tmp_path / "state").mkdir(exist_ok=True)
    return f"sqlite:///{tmp_path / 'state' / 'testorg.db'}"


@pytest.fixture(params=["sqlite", "postgresql"])
def state_url(request, isolated, tmp_path):
    """A state URL on each backend: the same test runs against SQLite and a real PostgreSQL
    server (a fresh database on the session's cluster, tests/pgserver.py)."""
    if request.param == "sqlite":
        return request.getfixturevalue("sqlite_url")
    return request.getfixturevalue("pg_url")


def several_changes(docs: dict) -> dict:
    """An office renamed, a person deactivated (with their membership removed), a person
    renamed: a plan of several changes of different kinds."""
    docs["office/west"]["name"] = "Renamed"
    docs["person/eve"]["status"] = "inactive"
    docs["person/hal"]["name"] = "Hal Renamed"
    return docs


def audit_count(url: str) -> int:
    from provisioner.state import open_state

    backend = open_state("testorg", url)
    try:
        return len(backend.audit())
    finally:
        backend.close()
