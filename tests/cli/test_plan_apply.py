"""End to end through the CLI: plan → apply → plan, each action kind, saved plans refused
when stale or altered, exit codes. Each test runs with a saved plan's changes checked in
the apply's own process and, as a large plan's are, in a child process beside it while
the apply validates the config."""

from __future__ import annotations

import json

import pytest

from provisioner.plan import savedplan
from provisioner.state import open_state
from tests.clihelp import actions, plan, plan_and_apply, run, snapshot
from tests.orgbuilder import edit, write_org


@pytest.fixture(autouse=True, params=["here", "beside"])
def checked_where(request, monkeypatch):
    """Every test twice: the saved changes checked, the re-derived ones compared and the rules
    run here, and beside."""
    from provisioner import pipeline
    from provisioner.plan import apply

    monkeypatch.setattr(savedplan, "BESIDE_FROM", 0 if request.param == "beside" else 1 << 60)
    monkeypatch.setattr(apply, "SAME_BESIDE_FROM", 0 if request.param == "beside" else 1 << 60)
    monkeypatch.setattr(pipeline, "RULES_BESIDE_FROM", 0 if request.param == "beside" else 1 << 60)
    return request.param


def test_a_saved_plan_validates_the_config_once(org_folder, state_url, tmp_path, monkeypatch, checked_where):
    """Beside, the config is validated while the changes are checked, and apply's
    re-derivation uses that validation instead of validating again."""
    from provisioner import pipeline

    r = plan(org_folder, state_url, out=tmp_path / "p.json")
    assert r.exit_code == 0, r.output
    calls = []
    real = pipeline.validate
    monkeypatch.setattr(pipeline, "validate", lambda *a, **k: calls.append(a) or real(*a, **k))
    a = run("apply", tmp_path / "p.json", "--state", state_url)
    assert a.exit_code == 0, a.output
    assert len(calls) == 1


def test_plan_apply_then_plan_shows_no_changes(org_folder, state_url, tmp_path):
    first = plan(org_folder, state_url, "--detailed-exitcode")
    assert first.exit_code == 2, first.output
    assert "+ office.east" in first.output
    doc = plan_and_apply(org_folder, state_url, tmp_path / "p1.json")
    assert doc["summary"]["create"] == len(doc["changes"]) > 30
    again = plan(org_folder, state_url, "--detailed-exitcode")
    assert again.exit_code == 0, again.output
    assert "No changes" in again.output
    snap = snapshot(state_url)
    assert snap.serial == 1 and snap.lineage
    assert f"({len(snap.resources)} unchanged)" in again.output  # invitations included
    assert snap.resources["person.ann"].attributes["npi"] == "1234567893"
    assert "membership.hal@west" in snap.resources


def test_plan_without_detailed_exitcode_exits_zero_on_changes(org_folder, state_url):
    r = plan(org_folder, state_url)
    assert r.exit_code == 0
    assert "Plan: " in r.output and "to create" in r.output


def test_every_action_kind_from_config_changes(org_folder, org_docs, state_url, tmp_path):
    plan_and_apply(org_folder, state_url, tmp_path / "p1.json")
    docs = edit(org_docs)
    docs["office/west"]["name"] = "West Clinic (renamed)"  # update
    docs["person/ivy"] = {"kind": "Person", "id": "ivy", "name": "Ivy New", "email": "ivy@test.example",
                          "account_type": "office_staff", "offices": ["north"]}  # create
    docs["person/eve"]["status"] = "inactive"  # deactivate (+ membership delete)
    docs["group/east-ortho"]["members"] = ["ann"]  # delete a group membership
    docs["person/bob"]["profiles"][0]["user_type"] = "OT"  # replace in place (TYPE002)
    cat_profile = docs["person/cat"]["profiles"][0]
    cat_profile.update(id="cat-slp", user_type="SLP")  # a new profile taking the old one's e-mail
    write_org(org_folder, docs)

    doc = plan_and_apply(org_folder, state_url, tmp_path / "p2.json")
    acts = actions(doc)
    assert acts["office.west"] == "update"
    assert acts["person.ivy"] == "create" and acts["invitation.person.ivy"] == "create"
    assert acts["membership.ivy@north"] == "create"
    assert acts["person.eve"] == "deactivate" and acts["profile.eve-clerical"] == "deactivate"
    assert acts["membership.eve@east"] == "delete"
    assert acts["group_member.east-ortho/dan"] == "delete"
    assert acts["profile.bob-pt"] == "replace"
    assert acts["profile.cat-slp"] == "replace" and acts["profile.cat-pt"] == "deactivate"
    by = {c["address"]: c for c in doc["changes"]}
    assert "TYPE002" in by["profile.bob-pt"]["reason"] and "x-bob.emr@test.example" in by["profile.bob-pt"]["reason"]
    assert by["profile.cat-slp"]["replaces"] == "profile.cat-pt"
    assert {"path": "name", "before": "West Clinic", "after": "West Clinic (renamed)"} in by["office.west"]["diff"]
    order = [c["address"] for c in doc["changes"]]
    assert order.index("membership.eve@east") < order.index("person.eve")
    assert order.index("profile.cat-slp") < order.index("profile.cat-pt")
    assert order.index("person.ivy") < order.index("membership.ivy@north")

    snap = snapshot(state_url)
    r = snap.resources
    assert snap.serial == 2
    assert r["office.west"].attributes["name"] == "West Clinic (renamed)"
    assert r["person.eve"].status == "inactive" and "membership.eve@east" not in r
    assert "group_member.east-ortho/dan" not in r
    assert r["profile.bob-pt"].attributes["user_type"] == "OT" and r["profile.bob-pt"].active
    retired = r["profile.bob-pt~2"]
    assert retired.status == "inactive" and retired.attributes["email"] == "x-bob.emr@test.example"
    assert retired.attributes["user_type"] == "PT"
    assert r["profile.cat-pt"].status == "inactive"
    assert r["profile.cat-pt"].attributes["email"] == "x-cat.emr@test.example"
    assert r["profile.cat-slp"].attributes["email"] == "cat.emr@test.example"

    again = plan(org_folder, state_url, "--detailed-exitcode")
    assert again.exit_code == 0, again.output

    docs["person/eve"]["status"] = "active"  # reactivate
    write_org(org_folder, docs)
    doc = plan_and_apply(org_folder, state_url, tmp_path / "p3.json")
    acts = actions(doc)
    assert acts["person.eve"] == "reactivate" and acts["profile.eve-clerical"] == "reactivate"
    assert acts["membership.eve@east"] == "create"
    assert snapshot(state_url).resources["person.eve"].active


def test_person_removed_from_config_is_deactivated_not_deleted(org_folder, org_docs, state_url, tmp_path):
    plan_and_apply(org_folder, state_url, tmp_path / "p1.json")
    docs = edit(org_docs)
    del docs["person/gus"]
    write_org(org_folder, docs)
    doc = plan_and_apply(org_folder, state_url, tmp_path / "p2.json")
    assert actions(doc)["person.gus"] == "deactivate"
    assert "LIFE001" in {c["address"]: c for c in doc["changes"]}["person.gus"]["reason"]
    assert snapshot(state_url).resources["person.gus"].status == "inactive"


def test_same_plan_applied_twice_is_refused_as_stale(org_folder, state_url, tmp_path):
    out = tmp_path / "p.json"
    plan_and_apply(org_folder, state_url, out)
    second = run("apply", out, "--state", state_url)
    assert second.exit_code == 1
    assert "stale plan" in second.output and "provisioner plan" in second.output
    assert "made against an empty state (nothing applied yet)" in second.output and "None" not in second.output
    assert snapshot(state_url).serial == 1


def test_plan_made_before_another_apply_is_stale(org_folder, state_url, tmp_path):
    old = plan(org_folder, state_url, out=tmp_path / "old.json")
    assert old.exit_code == 0
    plan_and_apply(org_folder, state_url, tmp_path / "new.json")
    r = run("apply", tmp_path / "old.json", "--state", state_url)
    assert r.exit_code == 1 and "stale plan" in r.output


def _one_line(doc: dict, path) -> None:
    path.write_text(json.dumps(doc))


def _as_planned(doc: dict, path) -> None:  # the layout apply reads a piece at a time (savedplan.py)
    from provisioner.plan.planfile import write_plan

    write_plan(doc, path)


@pytest.mark.parametrize("write", [_one_line, _as_planned])
def test_edited_plan_file_is_refused(org_folder, state_url, tmp_path, write):
    out = tmp_path / "p.json"
    assert plan(org_folder, state_url, out=out).exit_code == 0
    doc = json.loads(out.read_text())
    doc["changes"][0]["after"]["attributes"]["name"] = "Evil Clinic"
    write(doc, out)
    r = run("apply", out, "--state", state_url)
    assert r.exit_code == 1
    assert "altered" in r.output and "provisioner plan" in r.output
    assert snapshot(state_url).serial == 0 and not snapshot(state_url).resources


@pytest.mark.parametrize("write", [_one_line, _as_planned])
def test_resealed_forged_plan_is_refused(org_folder, state_url, tmp_path, write):
    """A checksum proves the file is whole, not who wrote it: apply re-derives the plan."""
    from provisioner.plan.planfile import seal

    plan_and_apply(org_folder, state_url, tmp_path / "p1.json")
    out = tmp_path / "p2.json"
    docs_changed = plan(org_folder, state_url, "--resend-expired", out=out)
    assert docs_changed.exit_code == 0
    doc = json.loads(out.read_text())
    forged = {k: v for k, v in doc.items() if k != "checksum"}
    forged["changes"] = forged["changes"] + [{
        "address": "person.ann", "kind": "person", "action": "update", "reason": "the config changed",
        "before": None, "after": {"kind": "person", "status": "active",
                                  "attributes": {"admin": ["client_admin_full"], "name": "Evil"}},
        "diff": [{"path": "admin", "before": [], "after": ["client_admin_full"]}]}]
    forged["summary"] = {**forged["summary"], "update": forged["summary"]["update"] + 1}
    write(seal(forged), out)
    before = snapshot(state_url)
    r = run("apply", out, "--state", state_url)
    assert r.exit_code == 1
    assert "changes differ from what the config and state produce" in r.output
    after = snapshot(state_url)
    assert (after.serial, after.resources["person.ann"].attributes) == \
        (before.serial, before.resources["person.ann"].attributes)
    assert "Traceback" not in r.output


@pytest.mark.parametrize("child", ["answers", "fails"])
def test_resealed_plan_with_one_change_altered_is_refused(org_folder, state_url, tmp_path, monkeypatch, child):
    """As many changes as the config gives, one of them not the config's: refused by the
    digest (compared in a child, beside; a child that fails only means it is compared here).
    Beside, the writes go on meanwhile and the answer is awaited before the transaction
    commits: nothing of them stays (no resource, audit row or owed operation), the lock is
    let go and the state still verifies."""
    import os

    from provisioner.plan import apply
    from provisioner.plan.planfile import seal, write_plan

    if child == "fails":
        parent, real = os.getpid(), apply._digest_of

        def digest_here_only(changes):
            if os.getpid() != parent:
                raise MemoryError("the child gives up")
            return real(changes)

        monkeypatch.setattr(apply, "_digest_of", digest_here_only)
    out = tmp_path / "p.json"
    assert plan(org_folder, state_url, out=out).exit_code == 0
    doc = json.loads(out.read_text())
    forged = json.loads(json.dumps({k: v for k, v in doc.items() if k != "checksum"}))
    forged["changes"][0]["after"]["attributes"]["name"] = "Evil Clinic"
    write_plan(seal(forged), out)
    r = run("apply", out, "--state", state_url)
    assert r.exit_code == 1
    assert "changes differ from what the config and state produce" in r.output
    assert snapshot(state_url).serial == 0 and not snapshot(state_url).resources
    assert "Traceback" not in r.output
    backend = open_state("testorg", state_url)
    try:
        assert (backend.audit(), backend.operations(), backend.lock_info(), backend.verify()) == ([], [], None, [])
    finally:
        backend.close()
    write_plan(doc, out)  # the plan as made: applied, wherever it is compared
    ok = run("apply", out, "--state", state_url)
    assert ok.exit_code == 0, ok.output
    assert snapshot(state_url).serial == 1


def test_plan_file_refused_when_config_changed(org_folder, org_docs, state_url, tmp_path):
    out = tmp_path / "p.json"
    assert plan(org_folder, state_url, out=out).exit_code == 0
    docs = edit(org_docs)
    docs["office/east"]["name"] = "East Clinic 2"
    write_org(org_folder, docs)
    r = run("apply", out, "--state", state_url)
    assert r.exit_code == 1 and "changed since the plan" in r.output
    assert snapshot(state_url).serial == 0


def test_apply_org_dir_without_tty_needs_auto_approve(org_folder, state_url):
    r = run("apply", org_folder, "--state", state_url, "--today", "2026-03-01")
    assert r.exit_code == 1
    assert "--auto-approve" in r.output
    assert snapshot(state_url).serial == 0
    ok = run("apply", org_folder, "--state", state_url, "--today", "2026-03-01", "--auto-approve")
    assert ok.exit_code == 0, ok.output
    assert "Apply complete!" in ok.output and "+ person.ann" in ok.output
    assert snapshot(state_url).serial == 1
    second = run("apply", org_folder, "--state", state_url, "--today", "2026-03-01", "--auto-approve")
    assert second.exit_code == 0 and "No changes" in second.output
    assert snapshot(state_url).serial == 1


def test_default_state_location_is_per_org_in_working_directory(org_folder, tmp_path):
    r = run("apply", org_folder, "--today", "2026-03-01", "--auto-approve")
    assert r.exit_code == 0, r.output
    assert (tmp_path / ".provisioner" / "testorg.db").is_file()


def test_state_env_variable_is_used(org_folder, tmp_path, monkeypatch):
    url = f"sqlite:///{tmp_path / 'env.db'}"
    monkeypatch.setenv("PROVISIONER_STATE", url)
    assert run("apply", org_folder, "--today", "2026-03-01", "--auto-approve").exit_code == 0
    assert snapshot(url).serial == 1
    assert not (tmp_path / ".provisioner").exists()


def test_config_mistake_gives_located_diagnostic_without_traceback(org_folder, org_docs, state_url):
    docs = edit(org_docs)
    docs["person/eve"]["offices"] = ["nowhere"]
    write_org(org_folder, docs)
    r = plan(org_folder, state_url, "--detailed-exitcode")
    assert r.exit_code == 1
    assert "Traceback" not in r.output
    assert "REF001" in r.output and "person-eve.yaml:" in r.output
    assert "nothing was planned" in r.output


def test_show_renders_saved_plan_in_three_formats(org_folder, state_url, tmp_path):
    out = tmp_path / "p.json"
    assert plan(org_folder, state_url, out=out).exit_code == 0
    text = run("show", out)
    assert text.exit_code == 0 and "+ office.east" in text.output
    md = run("show", out, "--format", "markdown")
    assert md.exit_code == 0 and "| create |" in md.output and "<details>" in md.output
    js = run("show", out, "--format", "json")
    assert json.loads(js.output)["checksum"] == json.loads(out.read_text())["checksum"]


def test_saved_plan_document_fields(org_folder, state_url, tmp_path):
    out = tmp_path / "p.json"
    assert plan(org_folder, state_url, out=out).exit_code == 0
    doc = json.loads(out.read_text())
    assert doc["format_version"] == "1"
    assert doc["org"] == "testorg"
    assert doc["config"]["digest"].startswith("sha256:")
    assert doc["state"] == {"lineage": None, "serial": 0, "url": state_url}
    assert doc["checksum"].startswith("sha256:")
    assert doc["today"] == "2026-03-01"
    assert set(doc["summary"]) == {"create", "update", "replace", "deactivate", "reactivate", "delete", "move", "no-op"}
    assert doc["summary"]["create"] == len(doc["changes"])


def test_every_command_has_help_text():
    from provisioner.cli import main

    def walk(cmd, name):
        yield name, cmd
        for sub_name, sub in getattr(cmd, "commands", {}).items():
            yield from walk(sub, f"{name} {sub_name}")

    for name, cmd in walk(main, "provisioner"):
        assert cmd.help and len(cmd.help) > 20, name
        r = run(*name.split()[1:], "--help")
        assert r.exit_code == 0, name


def test_plan_never_creates_a_state_database(org_folder, tmp_path):
    r = run("plan", org_folder, "--today", "2026-03-01", "--detailed-exitcode")
    assert r.exit_code == 2
    assert not (tmp_path / ".provisioner").exists()


def test_apply_reports_progress_per_change(org_folder, state_url, tmp_path):
    from provisioner.plan import apply_document, read_plan
    from provisioner.state import open_state

    out = tmp_path / "p.json"
    assert plan(org_folder, state_url, out=out).exit_code == 0
    document = read_plan(out)
    seen: list[int] = []
    backend = open_state("testorg", state_url)
    apply_document(document, backend, actor="t", progress=seen.append)
    backend.close()
    assert seen == list(range(1, len(document["changes"]) + 1))


def test_apply_org_dir_asks_for_confirmation_on_a_terminal(org_folder, state_url, monkeypatch):
    import provisioner.cli.apply_cmd as apply_cmd

    monkeypatch.setattr(apply_cmd, "stdin_is_terminal", lambda: True)
    no = run("apply", org_folder, "--state", state_url, "--today", "2026-03-01", input="n\n")
    assert no.exit_code == 1 and "Apply these changes?" in no.output and "cancelled" in no.output
    assert snapshot(state_url).serial == 0
    yes = run("apply", org_folder, "--state", state_url, "--today", "2026-03-01", input="y\n")
    assert yes.exit_code == 0, yes.output
    assert snapshot(state_url).serial == 1


def test_colour_only_on_a_terminal_and_never_with_no_color(monkeypatch):
    from provisioner.cli.common import use_colour

    class Tty:
        def isatty(self):
            return True

    monkeypatch.delenv("NO_COLOR", raising=False)
    assert use_colour(Tty()) is True
    monkeypatch.setenv("NO_COLOR", "1")
    assert use_colour(Tty()) is False


def test_sealed_plan_without_its_fields_is_refused_cleanly(org_folder, state_url, tmp_path):
    from provisioner.plan.planfile import seal

    out = tmp_path / "p.json"
    out.write_text(json.dumps(seal({"format_version": "1"})))
    for args in (("show", out), ("apply", out, "--state", state_url)):
        r = run(*args)
        assert r.exit_code == 1, args
        assert "is not a provisioner plan: at the top level: 'org' is a required property" in r.output
        assert "Traceback" not in r.output


def test_apply_uses_the_state_the_plan_was_made_against(org_folder, state_url, tmp_path):
    out = tmp_path / "p.json"
    r = plan(org_folder, state_url, out=out)
    assert "no state yet at" in r.output and "planning against an empty state" in r.output
    applied = run("apply", out)  # no --state: the plan's own state is used
    assert applied.exit_code == 0, applied.output
    assert snapshot(state_url).serial == 1
    assert not (tmp_path / ".provisioner").exists()


def test_plan_made_against_an_empty_state_is_not_applied_to_another(org_folder, state_url, tmp_path):
    out = tmp_path / "p.json"
    assert plan(org_folder, state_url, out=out).exit_code == 0
    other = f"sqlite:///{tmp_path / 'state' / 'other.db'}"
    r = run("apply", out, "--state", other)
    assert r.exit_code == 1
    assert f"made against an empty state at {state_url}" in r.output
    assert not (tmp_path / "state" / "other.db").exists()


def test_state_urls_that_name_no_usable_database(org_folder, tmp_path):
    for url, message in (("sqlite:///", "names no database file"),
                         ("foo.db", "unsupported state URL 'foo.db'"),
                         (f"sqlite:///{tmp_path / 'nowhere' / 'x.db'}", "for the state database x.db does not exist")):
        r = run("apply", org_folder, "--auto-approve", "--state", url, "--today", "2026-03-01")
        assert r.exit_code == 1, url
        assert message in r.output and "Traceback" not in r.output
    assert not (tmp_path / "nowhere").exists()


def test_apply_of_a_plan_checks_the_config_before_touching_state(org_folder, state_url, tmp_path):
    import shutil

    out = tmp_path / "p.json"
    assert plan(org_folder, state_url, out=out).exit_code == 0
    shutil.rmtree(org_folder)
    (tmp_path / "state" / "testorg.db").unlink(missing_ok=True)
    r = run("apply", out)
    assert r.exit_code == 1 and "not a folder here" in r.output
    assert not (tmp_path / "state" / "testorg.db").exists()


def test_a_lone_surrogate_in_a_plan_is_refused_not_a_traceback(org_folder, state_url, tmp_path):
    """JSON can spell `\\ud800`, which is no text: hashing it once escaped as UnicodeEncodeError."""
    out = tmp_path / "p.json"
    assert plan(org_folder, state_url, out=out).exit_code == 0
    text = out.read_text(encoding="utf-8")
    out.write_text(text.replace('"reason":"', '"reason":"\\ud800', 1), encoding="utf-8")
    for command in ("show", "apply"):
        r = run(command, out, "--state", state_url) if command == "apply" else run(command, out)
        assert r.exit_code == 1 and "lone surrogate" in r.output, r.output
        assert "Traceback" not in r.output
    assert snapshot(state_url).serial == 0


def _resealed_plan(org_folder, tmp_path, write, edit) -> tuple:
    """A plan of `org_folder` against a fresh state, edited by `edit` and re-sealed, written by
    `write`; (plan file, state URL)."""
    from provisioner.plan.planfile import seal

    state = f"sqlite:///{tmp_path / 'fresh' / 's.db'}"
    (tmp_path / "fresh").mkdir()
    out = tmp_path / "p.json"
    assert plan(org_folder, state, out=out).exit_code == 0
    doc = json.loads(out.read_text())
    doc.pop("checksum")
    edit(doc)
    write(seal(doc), out)
    return out, state


@pytest.mark.parametrize("write", [_one_line, _as_planned])
@pytest.mark.parametrize("today", ["not-a-date", "2026-13-45", 20261124])
def test_a_resealed_plan_whose_today_is_no_date_is_refused_before_any_state(org_folder, tmp_path, write, today):
    out, state = _resealed_plan(org_folder, tmp_path, write, lambda doc: doc.update(today=today))
    r = run("apply", out, "--state", state)
    assert r.exit_code == 1 and "Traceback" not in r.output and "internal error" not in r.output, r.output
    assert "is not a date" in r.output or "is not a provisioner plan" in r.output, r.output
    assert not list((tmp_path / "fresh").iterdir())  # no state database was created


@pytest.mark.parametrize("too", ["many entries", "many bytes"])
def test_a_resealed_plan_naming_a_large_folder_is_refused_after_a_bounded_walk(org_folder, tmp_path, monkeypatch,
                                                                              too):
    """A checksum is no signature: a plan re-sealed to name `/` would have its whole tree
    walked for the config digest. A folder only the plan names is walked within bounds."""
    from provisioner import limits

    folder = tmp_path / "elsewhere"
    (folder / "deep").mkdir(parents=True)
    for i in range(30):
        (folder / "deep" / f"f{i:02}.yaml").write_text("kind: Office\n" * 10)
    out, state = _resealed_plan(org_folder, tmp_path, _as_planned,
                                lambda doc: doc["config"].update(dir=str(folder)))
    monkeypatch.setattr(limits, "MAX_ORG_ENTRIES", 20 if too == "many entries" else 1000)
    monkeypatch.setattr(limits, "MAX_ORG_BYTES", 1000 if too == "many bytes" else 1 << 30)
    r = run("apply", out, "--state", state)
    assert r.exit_code == 1 and "Traceback" not in r.output, r.output
    assert ("more than 20 entries" if too == "many entries" else "more than 1,000 bytes of YAML") in r.output
    assert "not an org folder" in r.output and "--org-dir" in r.output, r.output
    assert not list((tmp_path / "fresh").iterdir())  # no state database was created
    monkeypatch.setattr(limits, "MAX_ORG_ENTRIES", 1000)
    monkeypatch.setattr(limits, "MAX_ORG_BYTES", 1 << 30)
    r = run("apply", out, "--state", state)  # within the bounds: walked, and refused as changed
    assert r.exit_code == 1 and "changed since the plan was made" in r.output, r.output


def test_an_org_folder_whose_organization_is_in_a_subfolder_plans_and_applies(org_folder, tmp_path):
    (org_folder / "core").mkdir()
    (org_folder / "org.yaml").rename(org_folder / "core" / "org.yaml")
    state = f"sqlite:///{tmp_path / 's.db'}"
    out = tmp_path / "p.json"
    assert plan(org_folder, state, out=out).exit_code == 0
    r = run("apply", out, "--state", state)
    assert r.exit_code == 0, r.output


def test_a_plan_naming_a_folder_outside_the_working_directory_is_not_read_ahead(org_folder, tmp_path,
                                                                                monkeypatch):
    """validate_meanwhile reads ahead (before the checksum holds) only a folder inside the
    working directory, or the one given with --org-dir."""
    from provisioner import pipeline
    from provisioner.plan.apply import validate_meanwhile

    class Reading:
        checking_beside = True
        header = {"config": {"dir": str(org_folder)}, "today": "2026-11-24"}

    calls = []
    monkeypatch.setattr(pipeline, "validate", lambda *a, **k: calls.append(a) or "validated")
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    monkeypatch.chdir(elsewhere)
    assert validate_meanwhile(Reading()) is None and calls == []
    prepared = validate_meanwhile(Reading(), org_dir=org_folder)  # named by the user: read
    assert prepared is not None and len(calls) == 1
    monkeypatch.chdir(tmp_path)  # the org folder lies inside: read
    assert validate_meanwhile(Reading()) is not None and len(calls) == 2
    monkeypatch.chdir("/")
    assert validate_meanwhile(Reading()) is None and len(calls) == 2  # never from the filesystem's root
