import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).parent))

from orgbuilder import small_org, write_org  # noqa: E402


@pytest.fixture
def org_docs():
    return small_org()


@pytest.fixture
def org_dir(tmp_path, org_docs):
    return write_org(tmp_path / "org", org_docs)


@pytest.fixture
def state_url(tmp_path):
    return f"sqlite:///{tmp_path / 'state' / 'testorg.db'}"


@pytest.fixture(autouse=True)
def _isolated(monkeypatch, tmp_path):
    monkeypatch.delenv("PROVISIONER_STATE", raising=False)
    monkeypatch.setenv("NO_COLOR", "1")
    monkeypatch.setenv("PROVISIONER_ACTOR", "tester@test.example")
    monkeypatch.chdir(tmp_path)
