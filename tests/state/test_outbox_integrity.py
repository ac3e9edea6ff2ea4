"""The outbox and the shadows are in the audit log: what a target is sent, and which account it
goes to, cannot be changed in the database without `state verify` naming it (outboxcheck.py)."""

from __future__ import annotations

import datetime as dt

import pytest

from provisioner.state import Resource, Write
from provisioner.state import migrations
from provisioner.state.sqlite import SQLiteBackend
from provisioner.targets.operations import Operation, OpResult, Shadow

T = "2026-03-02T09:00:00+00:00"


def _op(op_id: str, key: str, action: str = "create", **payload) -> Operation:
    serial, seq = (int(n) for n in op_id.split("."))
    return Operation(op_id, "idp", serial, seq, key, "user", action, {"userName": key, **payload},
                     created_at=T, updated_at=T)


def _write(address: str, name: str) -> Write:
    r = Resource(address, "person", {"name": name}, "active")
    return Write(address, r, "create", None, {"kind": "person", "status": "active", "attributes": {"name": name}})


def _state(path) -> SQLiteBackend:
    """Two people owed to `idp`; ana's account delivered (its shadow recorded), ben's pending."""
    b = SQLiteBackend(path / "s.db")
    b.apply([_write("person.ana", "Ana"), _write("person.ben", "Ben")], expect=(None, 0), actor="t",
            plan_digest="d1", at=dt.datetime(2026, 3, 2, 9), operations=[_op("1.1", "person.ana"),
                                                                        _op("1.2", "person.ben")])
    b.record([OpResult("1.1", "delivered", 1, shadow=Shadow("idp", "person.ana", "r-ana", 'W/"1"', "person.ana",
                                                            "ana"))], at=T, actor="t")
    return b


def _errors(b) -> list[str]:
    return [p.message for p in b.integrity() if p.error]


def test_an_outbox_written_by_the_provisioner_verifies_and_its_batch_is_in_the_log(tmp_path):
    b = _state(tmp_path)
    assert _errors(b) == []
    owed = [r for r in b.audit() if r.action == "deliver:owed"]
    assert [(r.address, r.plan_digest, r.after["operations"], r.after["ids"]) for r in owed] == [
        ("outbox", "d1", 2, [[1, 1, 2]])]
    delivered = [r for r in b.audit() if r.action == "deliver:delivered"]
    assert delivered[0].after["shadow"] == ["r-ana", "person.ana", "ana"]


@pytest.mark.parametrize("sql, found", [
    ("INSERT INTO operations (id, target, serial, seq, op_key, object, action, payload, takes_over, depends_on, "
     "status, attempts, created_at, updated_at) VALUES ('1.3', 'idp', 1, 3, 'person.mallory', 'user', 'create', "
     "'{\"userName\":\"mallory\",\"roles\":[\"admin\"]}', NULL, '[]', 'pending', 0, '" + T + "', '" + T + "')",
     "operation 1.3 for person.mallory at target idp is not in the audit log (inserted)"),
    ("UPDATE operations SET payload = '{\"userName\":\"person.ben\",\"roles\":[\"admin\"]}' WHERE id = '1.2'",
     "the 2 operation(s) owed at audit row 3 (1.1-1.2) differ from what was owed (edited)"),
    ("UPDATE operations SET op_key = 'person.ceo' WHERE id = '1.2'",
     "the 2 operation(s) owed at audit row 3 (1.1-1.2) differ from what was owed (edited)"),
    ("DELETE FROM operations WHERE id = '1.2'",
     "the 2 operation(s) owed at audit row 3 (1.1-1.2) are missing (deleted)"),
    ("UPDATE operations SET status = 'pending' WHERE id = '1.1'",
     "operation 1.1 for person.ana at target idp is 'pending' in the outbox, but the audit log leaves it 'delivered'"),
    ("UPDATE operations SET status = 'delivered' WHERE id = '1.2'",
     "operation 1.2 for person.ben at target idp is 'delivered' in the outbox, but the audit log leaves it 'pending'"),
    ("UPDATE shadows SET remote_id = 'r-ceo' WHERE op_key = 'person.ana'",
     "the shadow of person.ana at target idp names remote id r-ceo, but the audit log says r-ana (edited)"),
    ("INSERT INTO shadows (target, op_key, remote_id, synced_at) VALUES ('idp', 'person.ben', 'r-ceo', '" + T + "')",
     "the shadow of person.ben at target idp (remote id r-ceo) is not in the audit log (inserted)"),
    ("DELETE FROM shadows WHERE op_key = 'person.ana'",
     "the shadow of person.ana at target idp is missing (deleted): the audit log records it"),
])
def test_an_outbox_or_shadow_changed_by_hand_is_named(tmp_path, sql, found):
    b = _state(tmp_path)
    b._conn.execute(sql)
    assert any(e.startswith(found) for e in _errors(b)), _errors(b)


def test_the_version_a_target_last_answered_with_is_not_evidence(tmp_path):
    """The ETag sent as If-Match is the target's, refreshed on every read: not in the chain."""
    b = _state(tmp_path)
    b._conn.execute("UPDATE shadows SET version = 'W/\"9\"', synced_at = 'later'")
    b._conn.execute("UPDATE operations SET attempts = 7, last_error = 'timeout' WHERE id = '1.2'")
    assert _errors(b) == []


def test_superseding_and_re_queueing_are_replayed(tmp_path):
    b = _state(tmp_path)
    b.apply([], expect=(b.read().lineage, 1), actor="t", plan_digest="d2", at=dt.datetime(2026, 3, 3),
            operations=[_op("2.1", "person.ben", "create", title="Dr")])
    assert [op.status for op in b.operations()] == ["delivered", "superseded", "pending"]
    b.record([OpResult("2.1", "failed", 3, "HTTP 400")], at=T, actor="t")
    b.record([OpResult("2.1", "pending", 0, "re-queued by t")], at=T, actor="t")  # `sync --retry`
    assert [a.action for a in b.audit()][-2:] == ["deliver:failed", "deliver:pending"]
    assert _errors(b) == []
    b._conn.execute("UPDATE operations SET status = 'pending' WHERE id = '1.2'")  # the old payload back in line
    assert ("operation 1.2 for person.ben at target idp is 'pending' in the outbox, but the audit log leaves it "
            "'superseded' (edited)") in _errors(b)


def test_operations_owed_outside_an_apply_are_in_the_log_too(tmp_path):
    b = _state(tmp_path)
    b.owe([_op("1.3", "person.cy")], at=T, actor="adopter")
    (row,) = [r for r in b.audit() if r.action == "deliver:owed" and r.actor == "adopter"]
    assert row.after["ids"] == [[1, 3, 3]]
    assert _errors(b) == []
    assert b.commits()[-1]["event"] == "deliver"


def test_an_outbox_from_before_it_was_recorded_is_sealed_as_it_stands(tmp_path, monkeypatch):
    """Migration 5: a state whose operations were owed before the log recorded them gets one
    `deliver:sealed` row; a change made after it is found like any other."""
    from provisioner.state import outbox, sqlstore

    monkeypatch.setattr(sqlstore, "pending", lambda current: [m for m in migrations.MIGRATIONS
                                                             if current < m[0] < 5])
    monkeypatch.setattr(sqlstore, "LATEST", 4)
    real_insert = outbox.OutboxStore._insert_operations
    monkeypatch.setattr(outbox.OutboxStore, "_insert_operations", lambda self, ops: real_insert(self, ops) and None)
    monkeypatch.setattr(outbox.OutboxStore, "record", _record_as_before)
    b = _state(tmp_path)
    assert not [r for r in b.audit() if r.action in ("deliver:owed", "deliver:sealed")]
    b.close()
    monkeypatch.undo()

    again = SQLiteBackend(tmp_path / "s.db")
    (sealed,) = [r for r in again.audit() if r.action == "deliver:sealed"]
    assert (sealed.actor, sealed.after["statuses"]) == ("migration 5", {"delivered": [[1, 1, 1]],
                                                                       "pending": [[1, 2, 2]]})
    assert sealed.after["shadows"] == [["idp", "person.ana", "r-ana", "person.ana", "ana"]]
    assert again.commits()[-1]["event"] == "deliver"
    assert _errors(again) == []
    again._conn.execute("UPDATE operations SET status = 'pending' WHERE id = '1.1'")
    assert any("1.1" in e and "'delivered'" in e for e in _errors(again))


def _record_as_before(self, results, *, at, actor):
    """`record` before the outbox was in the log: statuses and shadows, no audit row."""
    for res in results:
        self._conn.execute("UPDATE operations SET status = ? WHERE id = ?", (res.status, res.op_id))
        if res.shadow is not None:
            s = res.shadow
            self._conn.execute("INSERT INTO shadows (target, op_key, remote_id, version, external_id, user_name, "
                               "synced_at) VALUES (?, ?, ?, ?, ?, ?, ?)",
                               (s.target, s.key, s.remote_id, s.version, s.external_id, s.user_name, at))


def test_an_owed_row_claiming_a_trillion_operations_is_named_not_expanded(tmp_path):
    """What a row claims is kept as the runs it names: memory follows the table, not the claim."""
    import json

    b = _state(tmp_path)
    (seq,) = [r.seq for r in b.audit() if r.action == "deliver:owed"]
    row = b._conn.execute("SELECT after_json FROM audit WHERE seq = ?", (seq,)).fetchone()[0]
    forged = {**json.loads(row), "ids": [[1, 1, 10 ** 12]]}
    b._conn.execute("UPDATE audit SET after_json = ? WHERE seq = ?", (json.dumps(forged), seq))
    errors = _errors(b)
    assert f"audit row {seq}: content does not match its hash (edited)" in errors
    assert f"the 1000000000000 operation(s) owed at audit row {seq} (1.1-1.1000000000000) are missing (deleted)" in errors


@pytest.mark.parametrize("sql, found", [
    ("UPDATE target_info SET info = replace(info, 'old.example', 'new.example')",
     "what the state says target idp was reached with (its url, token_env or capabilities) differs from the audit log"),
    ("DELETE FROM target_info", "what the state says target idp was reached with is missing (deleted)"),
    ("INSERT INTO target_info (target, info, seen_at) VALUES ('emr', '{}', 'now')",
     "what the state says target emr was reached with is not in the audit log (inserted)"),
])
def test_the_settings_a_target_was_reached_with_are_in_the_log(tmp_path, sql, found):
    """A plan names a target url changed since it was last reached: a state edited to say the
    new url was reached already would hide that change from the review."""
    b = _state(tmp_path)
    info = {"extension": True, "bulk": False, "etag": True, "url": "https://old.example/scim", "token_env": "T"}
    b.set_target_info("idp", info, T, "t")
    b.set_target_info("idp", dict(info), T, "t")  # unchanged: no new row
    assert [r.action for r in b.audit()].count("deliver:reached") == 1
    assert _errors(b) == []
    b._conn.execute(sql)
    assert any(e.startswith(found) for e in _errors(b)), _errors(b)


def test_an_id_a_service_answers_as_a_number_verifies(tmp_path):
    """The shadows table keeps text; the audit row names the same text."""
    b = _state(tmp_path)
    b.link([Shadow("idp", "person.ben", 4711, None, 81723, "ben@x.example")], at=T, actor="t")
    assert _errors(b) == []


@pytest.mark.parametrize("sql", [
    "INSERT INTO shadows (target, op_key, remote_id, synced_at) VALUES (X'6964', 'person.x', 'r', 't')",
    "INSERT INTO shadows (target, op_key, remote_id, synced_at) VALUES (7, 'person.x', 'r', 't')",
    "UPDATE operations SET op_key = X'00ff' WHERE id = '1.2'",
])
def test_odd_types_in_the_tables_are_named_not_an_internal_error(tmp_path, sql):
    b = _state(tmp_path)
    b._conn.execute(sql)
    assert _errors(b)


def test_a_trigger_or_view_in_the_state_is_refused(tmp_path):
    """A trigger could rewrite a payload after verification passed and put it back once sent:
    the provisioner creates none, so any is named."""
    b = _state(tmp_path)
    b._conn.execute("CREATE TRIGGER swap AFTER INSERT ON state_lock BEGIN "
                    "UPDATE operations SET payload = '{}' WHERE status = 'pending'; END")
    b._conn.execute("CREATE VIEW pending AS SELECT * FROM operations")
    errors = _errors(b)
    assert [e.split(",")[0] for e in errors if "never creates" in e] == [
        "the state database holds view 'pending'", "the state database holds trigger 'swap'"]


def test_a_schema_version_set_back_does_not_seal_rows_written_by_hand(tmp_path):
    b = _state(tmp_path)
    b._conn.execute("DELETE FROM schema_version WHERE version = 5")
    b._conn.execute("UPDATE shadows SET remote_id = 'r-attacker' WHERE op_key = 'person.ana'")
    b.close()
    again = SQLiteBackend(tmp_path / "s.db")  # migration 5 runs again: it finds the outbox recorded already
    assert not [r for r in again.audit() if r.action == "deliver:sealed"]
    assert any("names remote id r-attacker" in e for e in _errors(again))


def test_a_second_seal_is_named(tmp_path):
    from provisioner.state import outboxcheck

    check = outboxcheck.OutboxCheck()
    check.event(3, "outbox", "deliver:owed", '{"ids": [[1, 1, 1]], "operations": 1, "digest": "x"}')
    check.event(9, "outbox", "deliver:sealed", '{"ids": [], "operations": 0, "digest": "y"}')
    assert any(p.startswith("audit row 9 seals the outbox as it stood, but the audit log recorded it before")
               for p in check.finish())


@pytest.mark.parametrize("sql, found", [
    ("UPDATE operations SET file = NULL WHERE id = '1.2'",
     "operation 1.2 is recorded as not written to a change file yet, but the audit log says written to change "
     "file out/emr-1.csv"),
    ("UPDATE operations SET file = 'out/other.csv' WHERE id = '1.2'",
     "operation 1.2 is recorded as written to change file out/other.csv, but the audit log says written to "
     "change file out/emr-1.csv"),
])
def test_which_change_file_holds_an_operation_is_in_the_log(tmp_path, sql, found):
    """An operation with no file is written to a new change file: cleared by hand, an admin
    would be asked to carry out a create twice."""
    b = _state(tmp_path)
    b.mark_written(["1.2"], "out/emr-1.csv", T, "t")
    assert _errors(b) == []
    b._conn.execute(sql)
    assert any(e.startswith(found) for e in _errors(b)), _errors(b)
