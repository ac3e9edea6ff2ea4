"""The pure parts of targets: the retry policy, what a change owes each target (mapping),
and SCIM bodies and comparisons."""

from __future__ import annotations

from provisioner.model import Target
from provisioner.state.backend import Resource
from provisioner.targets import scimjson as sj
from provisioner.targets.mapping import owed
from provisioner.targets.operations import OpResult
from provisioner.targets.retry import RetryPolicy, parse_retry_after, retryable


def test_retry_after_is_honoured_and_backoff_doubles_with_jitter_and_a_cap():
    p = RetryPolicy(max_attempts=5, backoff=0.5, max_delay=60)
    assert p.delay(1, "7") == 7.0
    assert p.delay(1, "600") == 60.0
    assert 0.25 <= p.delay(1, rng=lambda: 0.0) <= 0.5
    assert p.delay(3, rng=lambda: 1.0) == 2.0
    assert p.delay(20, rng=lambda: 1.0) == 60.0
    assert parse_retry_after("Wed, 21 Oct 2015 07:28:00 GMT", now=1445412470.0) == 10.0
    assert parse_retry_after("soon") is None


def test_which_statuses_are_tried_again():
    assert [s for s in (None, 400, 401, 404, 408, 409, 412, 429, 500, 502, 503, 504) if retryable(s)] == \
        [None, 408, 429, 500, 502, 503, 504]


def _t(*receives, groups=False):
    return Target("t", "T", "scim", receives, groups, {}, None)


def _person(pid, status="active", **attrs):
    base = {"name": "Ana Diaz", "email": f"{pid}@x.example", "account_type": "office_staff", "admin": [],
            "admin_offices": [], "front_office": None}
    return Resource(f"person.{pid}", "person", {**base, **attrs}, status)


def test_a_change_the_target_does_not_hold_owes_it_nothing():
    before = {"person.a": _person("a")}
    after = {"person.a": _person("a", specialty=None, insurance={"plans": ["x"]})}
    assert owed([_t("referral_accounts")], before, after, ["person.a"]) == []


def test_a_front_office_only_target_receives_people_with_a_role_and_deactivates_those_who_lose_it():
    t = _t("front_office_roles")
    before = {"person.a": _person("a", front_office="biller"), "person.b": _person("b")}
    after = {"person.a": _person("a", front_office=None), "person.b": _person("b", front_office="scheduler")}
    specs = owed([t], before, after, ["person.a", "person.b"])
    assert [(s.key, s.action, s.payload["active"]) for s in specs] == [
        ("person.a", "deactivate", False), ("person.b", "create", True)]
    assert specs[1].payload["front_office_role"] == "scheduler"
    assert "account_type" not in specs[1].payload


def test_a_membership_change_updates_the_person_and_the_office_group():
    t = _t("referral_accounts", groups=True)
    office = Resource("office.east", "office", {"name": "East"}, "active")
    m = Resource("membership.a@east", "membership", {"person": "a", "office": "east"}, "active")
    before = {"person.a": _person("a"), "office.east": office}
    after = {**before, "membership.a@east": m}
    specs = owed([t], before, after, ["membership.a@east"])
    assert [(s.key, s.object, s.action) for s in specs] == [("person.a", "user", "update"),
                                                            ("office.east", "group", "update")]
    assert specs[0].payload["offices"] == ["east"] and specs[1].payload["members"] == ["person.a"]


def test_a_login_given_up_in_the_same_batch_is_taken_only_after():
    t = _t("referral_accounts")
    before = {"person.a": _person("a", email="shared@x.example")}
    after = {"person.a": _person("a", email="a2@x.example"), "person.b": _person("b", email="shared@x.example")}
    specs = owed([t], before, after, ["person.b", "person.a"])
    assert [(s.key, s.depends_on_key) for s in specs] == [("person.a", None), ("person.b", "person.a")]


def test_scim_user_body_and_differences():
    obj = {"external_id": "a", "user_name": "A@x.example", "display_name": "Ana Diaz", "given_name": "Ana",
           "family_name": "Diaz", "email": "A@x.example", "active": True, "offices": ["e", "w"], "npi": "1"}
    body = sj.user_body(obj, extension=True)
    assert body["schemas"] == [sj.CORE_USER, sj.EXTENSION]
    assert body[sj.EXTENSION] == {"offices": ["e", "w"], "npi": "1"}
    assert sj.EXTENSION not in sj.user_body(obj, extension=False)
    assert sj.unheld(obj) == ["npi", "offices"]
    server = {**body, "id": "9", "userName": "a@x.example", sj.EXTENSION: {"offices": ["w", "e"], "npi": "1"}}
    assert sj.differences(body, server) == []
    server["displayName"] = "Someone"
    server[sj.EXTENSION] = {"offices": ["e"], "npi": "1"}
    assert sj.differences(body, server) == ["displayName", "User.offices"]
    patch = sj.patch_body(body)
    assert {"op": "replace", "path": f"{sj.EXTENSION}:npi", "value": "1"} in patch["Operations"]
    assert all(op["op"] == "replace" and op["path"] for op in patch["Operations"])


def test_a_display_name_splits_into_given_and_family_without_its_credentials():
    from provisioner.targets.mapping import split_name

    assert split_name("David Okonkwo, DO") == ("David", "Okonkwo")
    assert split_name("Maria de la Cruz, PT, DPT") == ("Maria", "de la Cruz")
    assert split_name("Cher") == ("Cher", "")
    assert split_name(", DO") == (", DO", "")  # nothing before the comma: the name as written


def test_a_plan_counts_operations_as_the_outbox_records_them(tmp_path):
    """`owed.as_recorded` (what a plan announces) agrees with what the state's outbox records
    (`_insert_operations`), batch after batch, on every sequence of actions for a few keys:
    creates, moves and recreates still pending are superseded by what follows."""
    import datetime as dt
    import random

    from provisioner.state import open_state
    from provisioner.targets.mapping import OpSpec
    from provisioner.targets.owed import as_recorded, operations

    rng = random.Random(7)
    actions = ("create", "update", "reactivate", "deactivate", "move", "recreate", "retire")
    backend = open_state("org", f"sqlite:///{tmp_path}/s.db")
    now = dt.datetime(2026, 11, 23, tzinfo=dt.timezone.utc)
    try:
        for serial in range(1, 40):
            specs = []
            if serial == 1:  # an empty outbox: an update supersedes the create of the same plan
                specs = [OpSpec("t", "person.a", "user", "create", {"n": 0}), OpSpec("t", "person.a", "user", "update",
                                                                                   {"n": 1})]
            for _ in range(rng.randint(1, 4)):
                key = rng.choice(("person.a", "person.b", "profile.c"))
                action = rng.choice(actions)
                takes = rng.choice((None, None, "person.old")) if action in ("move", "create") else None
                specs.append(OpSpec("t", key, "user", action, {"n": serial}, takes))
            announced = as_recorded(specs, backend.pending_accounts())
            if serial == 1:
                assert [s.action for s in announced[:2]] == ["create", "create"]
            ops = operations(specs, serial, now)
            backend.owe(ops, at=now.isoformat(), actor="test")
            recorded = {op.id: op for op in backend.operations("t")}
            assert [(s.action, s.takes_over) for s in announced] == \
                [(recorded[op.id].action, recorded[op.id].takes_over) for op in ops], serial
            if serial % 5 == 0:  # some are delivered meanwhile: nothing pending to supersede for them
                pending = [op for op in recorded.values() if op.status == "pending"]
                backend.record([OpResult(op.id, "delivered") for op in pending[:2]], at=now.isoformat(),
                               actor="test")
    finally:
        backend.close()
