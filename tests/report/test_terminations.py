"""`provisioner report terminations` (provisioner/report/terminations.py): departures with
the hours until the deactivation was applied and each target received it, against
policy.deprovision_within_hours; a late one is flagged."""

from __future__ import annotations

import json

from tests.orgbuilder import edit, write_org

from .conftest import apply_at, cli, deliver_at, two_departures


def _report(folder, state, *args):
    r = cli("report", "terminations", folder, "--state", state, "--format", "json", *args)
    return r, json.loads(r.output) if r.output.lstrip().startswith("{") else None


def test_an_on_time_and_a_late_termination(small):
    folder, docs, state = small
    two_departures(folder, docs, state)  # eve 12 h after the clock starts, fay 57 h: past the 24 h policy

    r, doc = _report(folder, state, "--as-of", "2026-03-10T00:00")
    assert r.exit_code == 0, r.output
    assert doc["policy_hours"] == 24
    by = {d["person"]: d for d in doc["departures"]}
    assert set(by) == {"eve", "fay"}
    eve, fay = by["eve"], by["fay"]
    assert eve["clock_start"] == "2026-03-07T00:00:00+00:00" and eve["deadline"] == "2026-03-08T00:00:00+00:00"
    steps = {s["system"]: s for s in eve["steps"]}
    assert steps["apply"]["hours"] == 8.0 and steps["emr"]["hours"] == 12.0 and steps["referrals"]["hours"] == 12.0
    assert not eve["late"]
    fsteps = {s["system"]: s for s in fay["steps"]}
    assert fsteps["emr"]["hours"] == 57.0 and fsteps["emr"]["late"] and fay["late"]
    assert not fsteps["apply"]["late"]

    text = cli("report", "terminations", folder, "--state", state, "--as-of", "2026-03-10T00:00", "--fail-on-late")
    assert text.exit_code == 1
    assert "fay — Fay Staff: end date 2026-03-06; deadline 2026-03-08T00:00:00+00:00  LATE" in text.output
    assert "2 departures, 1 late" in text.output
    later = cli("report", "terminations", folder, "--state", state, "--since", "2026-03-08", "--format", "json")
    assert json.loads(later.output)["departures"] == []


def test_an_undelivered_deactivation_and_a_passed_end_date_not_applied(small):
    folder, docs, state = small
    changed = edit(docs)
    changed["org"]["policy"]["deprovision_within_hours"] = 48
    changed["person/gus"]["end_date"] = "2026-03-03"  # still active in the config
    write_org(folder, changed)
    apply_at(folder, state, "2026-03-02T09:00:00")
    changed["person/eve"]["status"] = "inactive"  # no end date: the clock starts at the apply
    write_org(folder, changed)
    apply_at(folder, state, "2026-03-04T09:00:00", today="2026-03-03")
    r, doc = _report(folder, state, "--as-of", "2026-03-06T09:00")
    by = {d["person"]: d for d in doc["departures"]}
    assert doc["policy_hours"] == 48
    eve = by["eve"]
    assert eve["clock_from"] == "apply" and eve["clock_start"] == "2026-03-04T09:00:00+00:00"
    pending = [s for s in eve["steps"] if s["system"] != "apply"]
    assert pending and all(s["status"] == "pending" and s["hours"] == 48.0 and not s["late"] for s in pending)
    gus = by["gus"]
    assert gus["steps"] == [{"system": "apply", "status": "not applied", "at": None, "hours": 57.0, "late": True}]


def test_someone_recorded_inactive_from_the_start_was_never_provisioned(small):
    folder, docs, state = small
    changed = edit(docs)
    changed["person/hal"].update(status="inactive", end_date="2026-01-31")
    changed["group/east-ortho"]["staff"] = ["eve"]
    write_org(folder, changed)
    apply_at(folder, state, "2026-03-02T09:00:00")
    r, doc = _report(folder, state, "--as-of", "2026-03-10T00:00", "--fail-on-late")
    assert r.exit_code == 0, r.output
    (hal,) = doc["departures"]
    assert hal["person"] == "hal" and not hal["late"]
    assert hal["steps"] == [{"system": "apply", "status": "never active", "at": "2026-03-02T09:00:00+00:00",
                             "hours": None, "late": False}]


def test_a_person_removed_from_the_config_is_a_departure(small):
    folder, docs, state = small
    apply_at(folder, state, "2026-03-02T09:00:00")
    changed = edit(docs)
    del changed["person/gus"]
    write_org(folder, changed)
    apply_at(folder, state, "2026-03-05T09:00:00")
    deliver_at(state, "2026-03-05T15:30:00")
    r, doc = _report(folder, state, "--as-of", "2026-03-10T00:00")
    (gus,) = doc["departures"]
    assert gus["person"] == "gus" and gus["name"] == "Gus Staff"  # from the state: gone from the config
    assert gus["clock_from"] == "apply" and gus["clock_start"] == "2026-03-05T09:00:00+00:00"
    assert {s["system"]: s["hours"] for s in gus["steps"]} == {"apply": 0.0, "emr": 6.5, "referrals": 6.5}
