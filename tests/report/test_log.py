"""`provisioner log` (provisioner/report/auditlog.py): the audit log filtered by person,
address, actor, date range and plan digest, in pages."""

from __future__ import annotations

import json

from tests.orgbuilder import edit, write_org

from .conftest import apply_at, cli, deliver_at


def _log(state, *args):
    r = cli("log", "--state", state, "--format", "json", "--per-page", "1000", *args)
    assert r.exit_code == 0, r.output
    return json.loads(r.output)


def test_filters_pick_the_rows_of_a_person_an_actor_a_day_and_a_plan(small):
    folder, docs, state = small
    first = apply_at(folder, state, "2026-03-02T09:00:00", actor="alice@example.org")
    changed = edit(docs)
    changed["person/eve"]["status"] = "inactive"
    write_org(folder, changed)
    second = apply_at(folder, state, "2026-03-09T17:30:00", actor="bob@example.org")
    deliver_at(state, "2026-03-10T08:00:00", keys={"person.eve"})

    eve = _log(state, "--person", "eve")["rows"]
    assert {r["address"] for r in eve} >= {"person.eve", "profile.eve-clerical", "membership.eve@east",
                                          "invitation.person.eve"}
    assert not any("hal" in r["address"] for r in eve)
    assert [r["action"] for r in eve if r["address"] == "person.eve"][:2] == ["create", "deactivate"]
    assert any(r["action"] == "deliver:delivered" for r in eve)

    bob = _log(state, "--actor", "bob@example.org")["rows"]
    assert bob and all(r["plan_digest"] == second["checksum"] for r in bob)
    march9 = _log(state, "--since", "2026-03-09", "--until", "2026-03-09")["rows"]
    assert [r["seq"] for r in march9] == [r["seq"] for r in bob]
    by_plan = _log(state, "--plan", first["checksum"].split(":", 1)[1][:12])
    # the plan's changes, and the row owing its operations to the targets
    assert [r["action"] for r in by_plan["rows"]].count("deliver:owed") == 1
    assert by_plan["total"] == len(first["changes"]) + 1 and all(r["actor"] == "alice@example.org" for r in by_plan["rows"])
    globbed = _log(state, "--address", "membership.*@east")["rows"]
    assert globbed and all(r["address"].startswith("membership.") and r["address"].endswith("@east") for r in globbed)


def test_pages_and_text(small):
    folder, _, state = small
    apply_at(folder, state, "2026-03-02T09:00:00")
    total = _log(state)["total"]
    last = cli("log", "--state", state, "--per-page", "10", "--page", "-1")
    assert last.exit_code == 0
    pages = -(-total // 10)
    assert f"page {pages} of {pages} (rows {(pages - 1) * 10 + 1}-{total} of {total} matching" in last.output
    first = cli("log", "--state", state, "--per-page", "10")
    assert "; next: --page 2" in first.output and first.output.count("plan sha256:") == 10
    r = cli("log", "--state", state, "--since", "2026-03-05", "--until", "2026-03-01")
    assert r.exit_code == 2 and "--since 2026-03-05 is after --until 2026-03-01" in r.output
