"""Change files end to end: apply writes one CSV and JSON per target, an admin's results
file confirms them (or rejects with a reason), and nothing is left pending."""

from __future__ import annotations

import csv
import json
import textwrap

from provisioner.targets.changefile import COLUMNS, _cell, read_results, render
from provisioner.targets.operations import Operation

from .scimorg import TODAY, cli, outbox

TARGET = """\
---
kind: Target
id: emr
name: EMR without an API
type: changefile
receives: [referral_accounts, emr_profiles]
changefile: {folder: exports}
"""


def org_with_changefile(tmp_path, make_org):
    org = make_org()
    (org / "target.yaml").write_text(textwrap.dedent(TARGET), encoding="utf-8")
    return org


def test_apply_writes_a_change_file_and_confirming_it_leaves_nothing_pending(tmp_path, make_org):
    org = org_with_changefile(tmp_path, make_org)
    state = f"sqlite:///{tmp_path}/state.db"
    r = cli("apply", org, "--auto-approve", "--state", state, "--today", TODAY)
    assert r.exit_code == 0, r.output
    files = sorted((org / "exports" / "emr").iterdir())
    assert [f.suffix for f in files] == [".csv", ".json"]
    rows = list(csv.DictReader(files[0].open(encoding="utf-8")))
    assert [(x["action"], x["external_id"]) for x in rows] == [
        ("create", "dr-ana"), ("create", "olive"), ("create", "dr-ana-pt")]
    assert json.loads(files[1].read_text())["operations"][0]["operation_id"] == rows[0]["operation_id"]
    assert oct(files[0].stat().st_mode & 0o777) == "0o600"
    pending = cli("pending", "--state", state)
    assert pending.exit_code == 2 and "3 operations owed" in pending.output

    results = tmp_path / "results.csv"
    results.write_text("operation_id,result,reason\n"
                       f"{rows[0]['operation_id']},done,\n{rows[1]['operation_id']},done,\n"
                       f"{rows[2]['operation_id']},rejected,no EMR seat free until Monday\n")
    c = cli("confirm", "emr", "--file", results, "--state", state)
    assert c.exit_code == 0, c.output
    assert "2 confirmed done, 1 rejected; 0 still pending" in c.output
    ops, _ = outbox(state, "emr")
    assert [(op.status, op.last_error) for op in ops] == [
        ("delivered", None), ("delivered", None), ("rejected", "no EMR seat free until Monday")]
    assert cli("pending", "--state", state).exit_code == 0
    audit = [a for a in _audit(state) if a.action.startswith("deliver:")]
    assert [a.action for a in audit] == ["deliver:owed", "deliver:written", "deliver:delivered", "deliver:delivered",
                                         "deliver:rejected"]
    assert (audit[0].address, audit[0].after["operations"], audit[0].after["targets"]) == ("outbox", 3, {"emr": 3})


def _audit(state):
    from provisioner.state import open_state

    backend = open_state(None, state, create=False)
    try:
        assert backend.verify() == []
        return backend.audit()
    finally:
        backend.close()


def test_a_second_apply_without_changes_writes_no_second_file(tmp_path, make_org):
    org = org_with_changefile(tmp_path, make_org)
    state = f"sqlite:///{tmp_path}/state.db"
    assert cli("apply", org, "--auto-approve", "--state", state, "--today", TODAY).exit_code == 0
    again = cli("apply", org, "--auto-approve", "--state", state, "--today", TODAY)
    assert again.exit_code == 0 and "No changes" in again.output
    assert len(list((org / "exports" / "emr").iterdir())) == 2


def test_confirming_an_operation_the_target_does_not_owe_changes_nothing(tmp_path, make_org):
    org = org_with_changefile(tmp_path, make_org)
    state = f"sqlite:///{tmp_path}/state.db"
    assert cli("apply", org, "--auto-approve", "--state", state, "--today", TODAY).exit_code == 0
    c = cli("confirm", "emr", "1.1", "99.9", "--state", state)
    assert c.exit_code == 1 and "owes no pending operation 99.9" in c.output
    ops, _ = outbox(state, "emr")
    assert {op.status for op in ops} == {"pending"}


def test_results_files_are_checked_line_by_line(tmp_path):
    bad = tmp_path / "r.csv"
    bad.write_text("operation_id,result\n1.1,maybe\n")
    try:
        read_results(bad)
    except Exception as exc:
        assert "r.csv:2" in str(exc) and "done or rejected" in str(exc)
    else:
        raise AssertionError("accepted")
    bad.write_text("operation_id,result\n1.1,rejected\n")
    try:
        read_results(bad)
    except Exception as exc:
        assert "without a reason" in str(exc)
    else:
        raise AssertionError("accepted")


def test_cells_a_spreadsheet_would_run_are_defused_and_lists_are_joined():
    assert _cell("=HYPERLINK(\"x\")") == "'=HYPERLINK(\"x\")"
    assert _cell("@SUM(A1)") == "'@SUM(A1)"
    assert _cell(["east", "west"]) == "east;west"
    assert _cell(True) == "true"
    op = Operation("1.1", "emr", 1, 1, "person.a", "user", "create",
                   {"external_id": "a", "display_name": "=cmd|' /C calc'!A0", "offices": ["e"]})
    text, _ = render([op])
    header, line = text.splitlines()
    assert header.split(",") == list(COLUMNS)
    assert "'=cmd" in line


def test_an_invitation_is_delivered_once_the_change_file_operation_is_confirmed(tmp_path, make_org):
    org = org_with_changefile(tmp_path, make_org)
    state = f"sqlite:///{tmp_path}/state.db"
    assert cli("apply", org, "--auto-approve", "--state", state, "--today", TODAY).exit_code == 0

    def seen():
        r = cli("invitations", "testorg", "--state", state, "--today", TODAY, "--format", "json")
        assert r.exit_code == 0, r.output
        return {row["account"]: (row["status"], row["targets"]) for row in json.loads(r.output)}

    before = seen()
    assert before and all(status == "pending" and targets == {"emr": "pending"}
                          for status, targets in before.values())
    ops, _ = outbox(state, "emr")
    assert cli("confirm", "emr", *[op.id for op in ops], "--state", state).exit_code == 0
    assert {status for status, _ in seen().values()} == {"delivered"}


def _rows(org, name):
    return list(csv.DictReader((org / "exports" / "emr" / name).open(encoding="utf-8")))


def test_a_renamed_person_is_a_move_in_the_change_file_and_a_new_name_reaches_their_emr_user(tmp_path, make_org):
    """ID001: the account of `previously:` continues under the new id (one `move` row naming
    the old id), never a deactivation and a create; a provider's new name reaches their EMR
    profile's user too, which carries the person's name."""
    org = org_with_changefile(tmp_path, make_org)
    state = f"sqlite:///{tmp_path}/state.db"
    assert cli("apply", org, "--auto-approve", "--state", state, "--today", TODAY).exit_code == 0
    made = [x["operation_id"] for x in _rows(org, next((org / "exports" / "emr").glob("*.csv")).name)]
    assert cli("confirm", "emr", *made, "--state", state).exit_code == 0  # the admin made the accounts
    people = org / "people.yaml"
    text = people.read_text(encoding="utf-8")
    people.write_text(text.replace("id: olive\n", "id: olive-stone\npreviously: olive\n")
                      .replace("name: Ana Diaz\n", "name: Ana Diaz-Ruiz\n"), encoding="utf-8")
    r = cli("apply", org, "--auto-approve", "--state", state, "--today", TODAY)
    assert r.exit_code == 0, r.output
    second = sorted(f.name for f in (org / "exports" / "emr").iterdir() if f.suffix == ".csv")[-1]
    rows = {(x["action"], x["external_id"]): x for x in _rows(org, second)}
    assert sorted(rows) == [("move", "olive-stone"), ("update", "dr-ana"), ("update", "dr-ana-pt")]
    move = rows[("move", "olive-stone")]
    assert (move["moved_from"], move["retires"], move["active"]) == ("olive", "", "true")
    assert rows[("update", "dr-ana-pt")]["family_name"] == "Diaz-Ruiz"
    assert COLUMNS[-1] == "moved_from"


def test_a_change_to_an_account_never_confirmed_is_still_its_create(tmp_path, make_org):
    """A pending create superseded by an update (the person renamed before the admin made the
    account) stays a create, with the new name: the admin is never asked to update an account
    that does not exist. Confirming the first file's row says which operation replaced it."""
    org = org_with_changefile(tmp_path, make_org)
    state = f"sqlite:///{tmp_path}/state.db"
    assert cli("apply", org, "--auto-approve", "--state", state, "--today", TODAY).exit_code == 0
    first = {x["external_id"]: x["operation_id"] for x in _rows(org, sorted(
        f.name for f in (org / "exports" / "emr").iterdir() if f.suffix == ".csv")[0])}
    people = org / "people.yaml"
    people.write_text(people.read_text(encoding="utf-8").replace("name: Olive Stone\n", "name: Olive Stone-Park\n"),
                      encoding="utf-8")
    assert cli("apply", org, "--auto-approve", "--state", state, "--today", TODAY).exit_code == 0
    second = sorted(f.name for f in (org / "exports" / "emr").iterdir() if f.suffix == ".csv")[-1]
    rows = {x["external_id"]: x for x in _rows(org, second)}
    assert rows["olive"]["action"] == "create" and rows["olive"]["family_name"] == "Stone-Park"
    r = cli("confirm", "emr", first["olive"], "--state", state)
    assert r.exit_code == 1
    assert f"superseded by a later operation for the same account ({first['olive']} by " \
           f"{rows['olive']['operation_id']})" in r.output, r.output
    assert cli("confirm", "emr", rows["olive"]["operation_id"], "--state", state).exit_code == 0


def test_reasons_and_actors_that_would_forge_a_log_line_are_refused(tmp_path, make_org):
    """A rejection's reason and the actor are recorded and printed again (`pending`, `log`):
    a line break or an escape sequence in them is refused, nothing recorded; a results file
    with a field past the CSV reader's limit is one error line."""
    org = org_with_changefile(tmp_path, make_org)
    state = f"sqlite:///{tmp_path}/state.db"
    assert cli("apply", org, "--auto-approve", "--state", state, "--today", TODAY).exit_code == 0
    rows = _rows(org, next((org / "exports" / "emr").glob("*.csv")).name)
    first = rows[0]["operation_id"]
    r = cli("confirm", "emr", first, "--reject", "bad\x1b]0;title\x07", "--state", state)
    assert r.exit_code == 2 and "control character" in r.output, r.output
    results = tmp_path / "results.csv"
    results.write_text(f"operation_id,result,reason\n{first},rejected,\"two\nlines\"\n", encoding="utf-8")
    r = cli("confirm", "emr", "--file", results, "--state", state)
    assert r.exit_code == 1 and "results.csv:2: the reason for operation" in r.output and "line break" in r.output
    results.write_text(f"operation_id,result,reason\n{first},rejected,{'x' * 200_000}\n", encoding="utf-8")
    r = cli("confirm", "emr", "--file", results, "--state", state)
    assert r.exit_code == 1 and "not a results CSV" in r.output and "Traceback" not in r.output
    r = cli("confirm", "emr", first, "--actor", "alice\n    99  2026-01-01  bob  create  person.fake", "--state", state)
    assert r.exit_code == 1 and "the actor given by --actor" in r.output and "line break" in r.output
    ops, _ = outbox(state, "emr")
    assert {op.status for op in ops} == {"pending"}


def test_an_interrupt_during_delivery_leaves_the_apply_anchored_and_says_what_is_pending(tmp_path, make_org,
                                                                                       monkeypatch):
    from provisioner.cli import apply_cmd

    def interrupted(*a, **k):
        raise KeyboardInterrupt

    monkeypatch.setattr(apply_cmd, "deliver_and_report", interrupted)
    org = org_with_changefile(tmp_path, make_org)
    state = f"sqlite:///{tmp_path}/state.db"
    r = cli("apply", org, "--auto-approve", "--state", state, "--today", TODAY)
    assert r.exit_code == 3, r.output
    assert "interrupted during delivery: the plan was applied" in r.output and "Anchored in" in r.output
    verify = cli("state", "verify", org, "--state", state)
    assert verify.exit_code == 0 and "not in the anchor" not in verify.output, verify.output


def test_a_confirmation_without_the_folder_is_anchored_by_the_next_apply_even_with_no_changes(tmp_path, make_org):
    """`confirm` without --org says the next apply records its commit in the anchor: a no-op
    apply does, so the anchor never stays behind until the config changes."""
    org = org_with_changefile(tmp_path, make_org)
    state = f"sqlite:///{tmp_path}/state.db"
    assert cli("apply", org, "--auto-approve", "--state", state, "--today", TODAY).exit_code == 0
    ops, _ = outbox(state, "emr")
    c = cli("confirm", "emr", ops[0].id, "--state", state)
    assert c.exit_code == 0 and "give the org folder as --org" in c.output
    behind = cli("state", "verify", org, "--state", state)
    assert "1 commit(s) after serial 1 are not in the anchor" in behind.output
    again = cli("apply", org, "--auto-approve", "--state", state, "--today", TODAY)
    assert again.exit_code == 0 and "No changes" in again.output and "Anchored in" in again.output
    assert "not in the anchor" not in cli("state", "verify", org, "--state", state).output
    quiet = cli("apply", org, "--auto-approve", "--state", state, "--today", TODAY)
    assert quiet.exit_code == 0 and "Anchored in" not in quiet.output


def test_the_plan_announces_an_update_of_an_account_never_made_as_its_create(tmp_path, make_org):
    """The plan's summary of what each target receives counts operations as the outbox will
    record them: an update superseding a pending create is announced as that create."""
    org = org_with_changefile(tmp_path, make_org)
    state = f"sqlite:///{tmp_path}/state.db"
    assert cli("apply", org, "--auto-approve", "--state", state, "--today", TODAY).exit_code == 0
    people = org / "people.yaml"
    people.write_text(people.read_text(encoding="utf-8").replace("name: Olive Stone\n", "name: Olive Stone-Park\n"),
                      encoding="utf-8")
    out = tmp_path / "plan.json"
    r = cli("plan", org, "--state", state, "--today", TODAY, "--out", out)
    assert r.exit_code == 0, r.output
    assert "emr (changefile): 1 user to create" in r.output, r.output
    assert json.loads(out.read_text())["targets"]["emr"]["operations"] == [
        {"object": "user", "action": "create", "count": 1}]
    assert cli("apply", out, "--auto-approve", "--state", state).exit_code == 0
    ops, _ = outbox(state, "emr")
    assert [(op.key, op.action, op.status) for op in ops if op.status == "pending" and op.key == "person.olive"] == [
        ("person.olive", "create", "pending")]

    # once the admin has made the account, the same kind of change is an update again
    made = [op.id for op in ops if op.status == "pending"]
    assert cli("confirm", "emr", *made, "--state", state).exit_code == 0
    people.write_text(people.read_text(encoding="utf-8").replace("name: Olive Stone-Park\n", "name: Olive Park\n"),
                      encoding="utf-8")
    r = cli("plan", org, "--state", state, "--today", TODAY)
    assert "emr (changefile): 1 user to update" in r.output, r.output
