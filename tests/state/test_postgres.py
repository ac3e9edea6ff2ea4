"""What only the PostgreSQL backend has: several orgs in one database (a schema each), the
password kept out of every message and every saved plan, and the advisory lock that a
holder's session takes with it."""

from __future__ import annotations

import json

import pytest

from tests.clihelp import plan, plan_and_apply, run
from tests.pgserver import PASSWORD, USER

from provisioner.state import LockTimeout, StateError, open_state, redact
from provisioner.state.postgres import schema_of


def test_redact_drops_the_password_wherever_the_url_holds_it():
    assert redact("postgresql://bob:s3cret@db:5432/state?password=x&sslmode=require") == \
        "postgresql://bob@db:5432/state?sslmode=require"
    assert redact("sqlite:///rel/x.db") == "sqlite:///rel/x.db"


def test_a_wrong_password_is_a_clear_error_that_never_shows_it(org_folder, pg_url, pg_cluster):
    url = pg_url.replace(f"{USER}@", f"{USER}:hunter2-secret@")
    r = run("state", "list", "testorg", "--state", url)
    assert r.exit_code == 1 and "password authentication failed" in r.output
    assert "hunter2-secret" not in r.output and "Traceback" not in r.output
    down = run("plan", org_folder, "--state", f"postgresql://{USER}:hunter2-secret@127.0.0.1:1/x")
    assert down.exit_code == 1 and "cannot connect to the PostgreSQL state at postgresql://provisioner@" in down.output
    assert "hunter2-secret" not in down.output


def test_a_password_in_the_url_is_never_saved_in_the_plan(org_folder, pg_url, tmp_path, monkeypatch):
    monkeypatch.delenv("PGPASSWORD")
    url = pg_url.replace(f"{USER}@", f"{USER}:{PASSWORD}@")
    out = tmp_path / "p.json"
    assert plan(org_folder, url, out=out).exit_code == 0
    assert PASSWORD not in out.read_text() and json.loads(out.read_text())["state"]["url"] == pg_url
    a = run("apply", out, "--state", url)
    assert a.exit_code == 0 and PASSWORD not in a.output


def test_orgs_share_a_database_one_schema_each(org_folder, pg_url, tmp_path):
    plan_and_apply(org_folder, pg_url, tmp_path / "p.json")
    other = open_state("otherorg", pg_url)
    assert other.read().serial == 0
    other.close()
    assert schema_of("testorg") == "provisioner_testorg"
    r = run("state", "list", "--state", pg_url)  # two orgs now: which one?
    assert r.exit_code == 1 and "name the org" in r.output and "otherorg, testorg" in r.output
    assert run("state", "list", "testorg", "--state", pg_url).exit_code == 0
    with pytest.raises(StateError, match="cannot name a PostgreSQL schema"):
        schema_of("Bad Org")


def test_a_crashed_holders_lock_goes_with_its_session(pg_url):
    holder = open_state("testorg", pg_url)
    waiter = open_state("testorg", pg_url)
    held = holder.lock("alice@ops.example", timeout=1)  # entered, never left: as a crashed holder
    held.__enter__()
    with pytest.raises(LockTimeout, match="alice@ops.example"):
        with waiter.lock("bob", timeout=0.2):
            pass
    with pytest.raises(StateError, match="still running"):
        waiter.break_lock("alice@ops.example", "ops", __import__("datetime").datetime(2026, 1, 1))
    assert waiter.lock_info().holder == "alice@ops.example"
    holder._conn._conn.close()  # the holder's session ends without releasing anything
    with waiter.lock("bob", timeout=2):
        assert waiter.lock_info().holder == "bob"
    assert waiter.lock_info() is None
    waiter.close()


def test_a_missing_org_state_is_reported_not_created(pg_url):
    r = run("state", "list", "nosuchorg", "--state", pg_url)
    assert r.exit_code == 1 and "no state for org nosuchorg" in r.output
    with pytest.raises(StateError):
        open_state("nosuchorg", pg_url, create=False)


def test_a_trigger_rule_view_or_policy_in_the_orgs_schema_fails_verification(pg_url):
    """What could rewrite the outbox after verification passed: the provisioner creates none."""
    backend = open_state("testorg", pg_url)
    assert backend.verify() == []
    c = backend._conn
    c.execute("CREATE FUNCTION noop() RETURNS trigger LANGUAGE plpgsql AS 'BEGIN RETURN NEW; END'")
    c.execute("CREATE TRIGGER swap BEFORE UPDATE ON operations FOR EACH ROW EXECUTE FUNCTION noop()")
    c.execute("CREATE RULE hide AS ON DELETE TO shadows DO INSTEAD NOTHING")
    c.execute("CREATE VIEW pending AS SELECT * FROM operations")
    c.execute("CREATE POLICY only_some ON resources USING (true)")
    found = [m.split(",")[0] for m in backend.verify() if "never creates" in m]
    assert found == ["the state database holds trigger 'swap'", "the state database holds rule 'hide'",
                     "the state database holds view 'pending'", "the state database holds row policy 'only_some'"]
    backend.close()
