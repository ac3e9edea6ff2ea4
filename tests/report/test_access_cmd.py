"""`provisioner access`: the provenance of specific rights in the example org: file and
line, role template, approver, the git commit of the line, the applied audit row and the
targets holding it."""

from __future__ import annotations

from provisioner.state import open_state

from .conftest import ACTOR, AUTHOR, SUBJECT, access_json, cli, git, line_of


def _right(doc, person, system, name):
    p = next(p for p in doc["people"] if p["id"] == person)
    return p, next(r for r in p["rights"] if r["system"] == system and r["name"] == name)


def _audit(state, address):
    backend = open_state(None, state)
    try:
        return [r for r in backend.audit() if r.address == address]
    finally:
        backend.close()


def test_a_templated_admin_right_names_its_template_line_approver_commit_and_apply(riverside):
    folder, state = riverside
    doc = access_json(folder, "diane-foster", "--state", state)
    staff = folder / "people" / "staff.yaml"
    person, r = _right(doc, "diane-foster", "admin", "client_admin_full")
    assert r["template"] == "health-system-manager" and r["offices"] == "all"
    assert r["file"].endswith("people/staff.yaml")
    assert r["line"] == line_of(staff, "template: health-system-manager", after="id: diane-foster")
    assert person["grants"]["approved_by"] == "cio@riverside.example"
    assert person["grants"]["reviewed_on"] == "2026-10-01"
    assert r["commit"]["subject"] == SUBJECT and r["commit"]["author"] == AUTHOR[0]
    assert r["commit"]["commit"] == git(folder, "rev-parse", "HEAD").strip()
    created = _audit(state, "person.diane-foster")[0]
    assert r["applied"]["seq"] == created.seq and r["applied"]["plan_digest"] == created.plan_digest
    assert r["applied"]["actor"] == ACTOR and r["applied"]["action"] == "create"
    assert [t["target"] for t in r["targets"]] == ["riverside-referrals"]
    assert r["targets"][0]["status"] == "pending"  # a change file waits for its admin's confirm


def test_a_front_office_and_an_emr_permission_point_at_their_own_lines(riverside):
    folder, state = riverside
    doc = access_json(folder, "linda-sato", "maria-lopez", "--state", state)
    _, pay = _right(doc, "linda-sato", "front_office", "take_payments")
    assert pay["source"] == "front_office biller" and pay["template"] is None
    assert pay["line"] == line_of(folder / "people" / "staff.yaml", "front_office: biller", after="id: linda-sato")
    assert [t["target"] for t in pay["targets"]] == ["riverside-pm"]
    _, notes = _right(doc, "maria-lopez", "emr", "finish_soap_notes")
    assert notes["profile"] == "maria-lopez-pt" and notes["file"].endswith("people/therapy.yaml")
    assert notes["line"] == line_of(folder / "people" / "therapy.yaml", "finish_soap_notes", after="id: maria-lopez")
    assert notes["applied"]["seq"] == _audit(state, "profile.maria-lopez-pt")[0].seq
    assert [t["target"] for t in notes["targets"]] == ["riverside-emr"]


def test_a_changed_line_is_blamed_on_its_own_commit_and_unapplied_until_applied(riverside, tmp_path):
    folder, state = riverside
    therapy = folder / "people" / "therapy.yaml"
    text = therapy.read_text(encoding="utf-8")
    n = line_of(therapy, "finish_soap_notes", after="id: maria-lopez")
    lines = text.splitlines(keepends=True)
    lines[n - 1] = lines[n - 1].replace("finish_soap_notes", "finish_soap_notes, view_users")
    therapy.write_text("".join(lines), encoding="utf-8")
    try:
        doc = access_json(folder, "maria-lopez", "--state", state)
        _, new = _right(doc, "maria-lopez", "emr", "view_users")
        assert new["commit"] is None and new["applied"] is None  # not committed, not applied
        git(folder, "commit", "-qam", "Maria: user list")
        doc = access_json(folder, "maria-lopez", "--state", state)
        _, new = _right(doc, "maria-lopez", "emr", "view_users")
        _, old = _right(doc, "maria-lopez", "licence", "therapist")  # another line: its own commit
        assert new["commit"]["subject"] == "Maria: user list" and old["commit"]["subject"] == SUBJECT
    finally:
        therapy.write_text(text, encoding="utf-8")
        git(folder, "commit", "-qam", "revert")


def test_without_git_or_state_the_report_says_less_but_still_locates(tmp_path):
    from .conftest import ORGS

    doc = access_json(ORGS / "harbor-therapy", "--all", "--no-git", "--state", f"sqlite:///{tmp_path}/none.db")
    assert doc["git"] is False and doc["state"] is None
    rights = [r for p in doc["people"] for r in p["rights"]]
    assert rights and all(r["line"] for r in rights)
    assert all("commit" not in r and "applied" not in r for r in rights)


def test_text_and_markdown_group_a_role_into_one_line(riverside):
    folder, state = riverside
    r = cli("access", folder, "linda-sato", "--state", state)
    assert r.exit_code == 0, r.output
    line = next(l for l in r.output.splitlines() if l.lstrip().startswith("front_office"))
    assert "take_payments" in line and "enter_refunds" in line
    assert "applied " in r.output and SUBJECT in r.output
    md = cli("access", folder, "linda-sato", "--state", state, "--format", "markdown")
    assert md.exit_code == 0 and "| front_office | " in md.output and "## linda-sato" in md.output


def test_usage_errors():
    from .conftest import ORGS

    r = cli("access", ORGS / "harbor-therapy")
    assert r.exit_code == 2 and "--all" in r.output
    r = cli("access", ORGS / "harbor-therapy", "nobody-here")
    assert r.exit_code == 1 and "no person 'nobody-here'" in r.output


def test_fo003_names_a_command_that_runs():
    import shlex

    from provisioner.rules import catalog
    from .conftest import ORGS

    fix = catalog.get("FO003").example_fix.split("#")[0]
    args = shlex.split(fix)
    assert args[:2] == ["provisioner", "access"]
    r = cli(*[str(ORGS.parent / a) if a.startswith("orgs/") else a for a in args[1:]], "--no-git")
    assert r.exit_code == 0, r.output
    assert "front_office    " in r.output and "take_payments" in r.output


def test_a_damaged_applied_row_carries_no_right():
    """holds() reads the audit log's `after`: one whose attributes are not a mapping (a
    damaged or forged row) carries nothing, and is never an error."""
    from provisioner.diagnostics import Origin
    from provisioner.report.applied import holds
    from provisioner.report.rights import Right

    right = Right("ann", "referral", "client_admin_full", None, "admin", Origin("p.yaml", 0, ()), "person.ann",
                  expects=(("admin", "client_admin_full", True),))
    assert holds(right, {"status": "active", "attributes": {"admin": ["client_admin_full"]}})
    for damaged in ({"status": "active", "attributes": ["admin"]}, {"status": "active", "attributes": "x"},
                    ["status"], None):
        assert not holds(right, damaged)


def test_a_right_granted_or_moved_later_is_dated_by_the_change_that_granted_it(small):
    """An admin role added to a person, and a person moved to another office: each right is
    applied by the row that gave it (the person's update, the new membership, the profile's
    update), not by the account's creation."""
    from tests.orgbuilder import edit, write_org

    from .conftest import apply_at

    folder, docs, state = small
    apply_at(folder, state, "2026-03-02T09:00:00")
    changed = edit(docs)
    changed["person/eve"].update(admin=["office_admin"], admin_offices=["east"])
    changed["person/fay"]["offices"] = ["north"]
    changed["person/fay"]["profiles"][0].update(clinics=["north"], default_clinic="north")
    write_org(folder, changed)
    apply_at(folder, state, "2026-03-09T09:00:00")
    doc = access_json(folder, "eve", "fay", "--state", state, "--no-git")

    granted = _audit(state, "person.eve")[-1]
    assert granted.action == "update"
    for system in ("data_management", "reporting"):
        _, r = _right(doc, "eve", system, "offices")
        assert r["applied"]["seq"] == granted.seq, (system, r["applied"])
    _, referral = _right(doc, "eve", "referral", "offices")  # unchanged: from the first apply
    assert referral["applied"]["seq"] < granted.seq

    _, moved = _right(doc, "fay", "referral", "offices")
    assert moved["applied"]["seq"] == _audit(state, "membership.fay@north")[0].seq
    _, emr = _right(doc, "fay", "emr", "view_patients")
    assert emr["applied"]["seq"] == _audit(state, "profile.fay-clerical")[-1].seq
    assert _audit(state, "profile.fay-clerical")[-1].action == "update"
