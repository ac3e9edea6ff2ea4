"""Verification streams the audit log and the resources through its checks (state/integrity.py):
read a few rows per round trip, it finds exactly what it finds with the table read at once."""

from __future__ import annotations

import pytest

from provisioner.state import open_state
from provisioner.state import postgres
from tests.clihelp import plan_and_apply
from tests.statesql import execute


def problems(state_url) -> list[tuple[str, bool, str]]:
    backend = open_state("testorg", state_url)
    try:
        return [(p.message, p.error, p.code) for p in backend.integrity()]
    finally:
        backend.close()


def tamper(state_url) -> None:
    """An edited audit row (INT001's chain), an edited resource and a deleted one."""
    execute(state_url, "UPDATE audit SET actor = 'mallory' WHERE seq = 3")
    first, second = [r["address"] for r in execute(state_url, "SELECT address FROM resources ORDER BY address")][:2]
    execute(state_url, "UPDATE resources SET status = 'inactive' WHERE address = ?", first)
    execute(state_url, "DELETE FROM resources WHERE address = ?", second)


@pytest.mark.parametrize("tampered", [False, True], ids=["intact", "tampered"])
def test_a_few_rows_per_round_trip_find_the_same(org_folder, state_url, tmp_path, monkeypatch, tampered):
    doc = plan_and_apply(org_folder, state_url, tmp_path / "p.json")
    assert len(doc["changes"]) > 3  # more rows than one round trip of the small batches below
    if tampered:
        tamper(state_url)
    whole = problems(state_url)
    for batch in (1, 3):
        monkeypatch.setattr(postgres, "STREAM_BATCH", batch)
        assert problems(state_url) == whole
    if not tampered:
        assert [p for p in whole if p[1]] == []
    else:
        messages = "\n".join(p[0] for p in whole)
        assert "audit row 3: content does not match its hash (edited)" in messages
        assert "differs from the audit log in status (edited)" in messages
        assert "is missing (deleted): the audit log says it exists" in messages


def test_an_unreadable_stream_is_a_state_error_without_a_traceback(org_folder, tmp_path, pg_url):
    """A query the server refuses mid-verification is a StateError naming the state (never a
    psycopg exception), and the connection is usable after it."""
    plan_and_apply(org_folder, pg_url, tmp_path / "p.json")
    backend = open_state("testorg", pg_url)
    try:
        with pytest.raises(postgres.StateError, match="PostgreSQL state at postgresql://"):
            with backend._reading():
                list(backend._stream("SELECT * FROM no_such_table"))
        assert backend.integrity() == [] or all(not p.error for p in backend.integrity())
    finally:
        backend.close()
