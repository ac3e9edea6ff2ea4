"""The state's resources as read (StoredResource: attributes kept as the canonical JSON the
state holds, decoded where read) plan exactly as decoded ones do: the same document, byte for
byte, for a plan of every kind of change."""

from __future__ import annotations

import datetime as dt
import json

import pytest

from provisioner.plan.compare import unchanged
from provisioner.plan.planner import make_plan
from provisioner.state import Resource, Snapshot, StateError, StoredResource, open_state
from provisioner.state.audit import canonical
from tests.clihelp import TODAY, plan_and_apply
from tests.orgbuilder import write_org
from tests.plan_fixtures import several_changes

NOW = dt.datetime(2026, 11, 24, 9, 0, tzinfo=dt.timezone.utc)


def decoded(snapshot: Snapshot) -> Snapshot:
    return Snapshot(snapshot.lineage, snapshot.serial,
                    {a: Resource(r.address, r.kind, r.attributes, r.status) for a, r in snapshot.resources.items()})


def every_kind_of_change(docs: dict) -> dict:
    """Updates, a deactivation with its membership deleted and invitation revoked, a rename
    with `previously` (ID001 move), a user type change (TYPE002 replace), a new person."""
    several_changes(docs)
    docs["person/dan"]["profiles"][0]["user_type"] = "PT"  # OT → PT: a replace
    ann = docs.pop("person/ann")
    docs["person/anna"] = {**ann, "id": "anna", "previously": "ann"}
    docs["person/anna"]["profiles"] = [{**ann["profiles"][0], "id": "anna-pt"}]
    docs["group/east-ortho"]["members"] = ["anna", "dan"]
    docs["person/ivy"] = {**docs["person/gus"], "id": "ivy", "name": "Ivy Staff", "email": "ivy@test.example",
                          "profiles": [{**docs["person/gus"]["profiles"][0], "id": "ivy-clerical",
                                        "email": "ivy.emr@test.example"}]}
    docs["org"]["policy"]["mass_change_limit"] = 1.0
    return docs


def test_a_plan_against_the_state_as_read_is_the_plan_against_it_decoded(org_folder, org_docs, sqlite_url, tmp_path):
    plan_and_apply(org_folder, sqlite_url, tmp_path / "first.json")
    write_org(org_folder, every_kind_of_change(org_docs))
    backend = open_state("testorg", sqlite_url)
    try:
        snapshot = backend.read()
    finally:
        backend.close()
    assert all(type(r) is StoredResource for r in snapshot.resources.values())
    today = dt.date.fromisoformat(TODAY)
    as_read = make_plan(org_folder, snapshot=snapshot, today=today, now=NOW)
    plain = make_plan(org_folder, snapshot=decoded(snapshot), today=today, now=NOW)
    assert as_read.ok, [d.message for d in as_read.diagnostics]
    actions = {c["action"] for c in as_read.document["changes"]}
    assert {"update", "deactivate", "delete", "move", "replace", "create"} <= actions
    assert json.dumps(as_read.document, sort_keys=True) == json.dumps(plain.document, sort_keys=True)
    assert as_read.document["summary"] == plain.document["summary"]


def test_unchanged_is_told_by_the_canonical_text_and_the_status():
    want = Resource("person.p", "person", {"name": "P", "admin": ["a"]}, "active")
    assert unchanged(want, StoredResource("person.p", "person", '{"admin":["a"],"name":"P"}', "active"))
    assert not unchanged(want, StoredResource("person.p", "person", '{"admin":["a"],"name":"P"}', "inactive"))
    assert not unchanged(want, StoredResource("person.p", "person", '{"admin":["b"],"name":"P"}', "active"))
    # not canonical (spaces): not told unchanged here; the decoded comparison decides
    assert not unchanged(want, StoredResource("person.p", "person", '{"admin": ["a"], "name": "P"}', "active"))
    assert not unchanged(want, Resource("person.p", "person", {"name": "P", "admin": ["a"]}, "active"))


def test_a_stored_resource_reads_like_a_resource():
    r = StoredResource("office.x", "office", canonical({"name": "X", "mips": "none"}), "inactive", "s.db")
    assert r.attributes == {"name": "X", "mips": "none"} and not r.active
    assert r == Resource("office.x", "office", {"mips": "none", "name": "X"}, "inactive")
    assert Resource("office.x", "office", {"mips": "none", "name": "X"}, "inactive") == r
    assert r != Resource("office.x", "office", {"name": "Y"}, "inactive")
    assert r.resource() == Resource("office.x", "office", {"mips": "none", "name": "X"}, "inactive")


@pytest.mark.parametrize("text, what", [("[", "not JSON"), ("[1]", "not a JSON object"), ("3", "not a JSON object"),
                                        ("[" * 100_000, "not JSON")])
def test_damaged_attributes_are_a_state_error_naming_the_resource(text, what):
    r = StoredResource("office.x", "office", text, "active", "s.db")
    with pytest.raises(StateError, match=f"resource office.x in s.db holds attributes that are {what}"):
        r.attributes


@pytest.mark.parametrize("value", [dt.date(2026, 1, 5), {"a"}, float("nan")], ids=["date", "set", "nan"])
def test_only_plain_json_is_told_unchanged_by_its_text(value):
    """The audit log's encoder spells a date or a set as a string: such a value is never
    told unchanged by text; the decoded comparison decides."""
    want = Resource("person.p", "person", {"x": value}, "active")
    spelled = canonical({"x": value}) if not isinstance(value, float) else '{"x":NaN}'
    assert not unchanged(want, StoredResource("person.p", "person", spelled, "active"))
