"""compare() is pure set algebra on addresses: build resources by hand, check the changes.
Every test runs twice: with the state's resources decoded, and as the state reads them
(StoredResource: attributes kept as canonical JSON text, compared by text first)."""

from __future__ import annotations

import pytest

from provisioner.plan.changes import Action, field_diff
from provisioner.plan.compare import compare as plan_compare
from provisioner.plan.compare import retire_email
from provisioner.plan.lifecycle import mass_change, order
from provisioner.state import Resource, StoredResource
from provisioner.state.audit import canonical


def stored(current):
    return {a: StoredResource(r.address, r.kind, canonical(r.attributes), r.status) for a, r in current.items()}


FORM = {"current": "decoded"}


@pytest.fixture(autouse=True, params=["decoded", "stored"])
def current_as(request):
    FORM["current"] = request.param
    yield request.param
    FORM["current"] = "decoded"


def compare(desired, current):
    return plan_compare(desired, stored(current) if FORM["current"] == "stored" else current)


def R(address, status="active", **attrs):
    return Resource(address, address.split(".", 1)[0], attrs, status)


def by_address(changes):
    return {c.address: c for c in changes}


def test_set_algebra_create_deactivate_delete_noop():
    desired = {a.address: a for a in [R("office.a", name="A"), R("person.new", email="n@x.example"),
                                      R("membership.new@a", person="new", office="a")]}
    current = {a.address: a for a in [R("office.a", name="A"), R("person.old", email="o@x.example"),
                                      R("membership.old@a", person="old", office="a"),
                                      R("person.gone", "inactive", email="g@x.example")]}
    changes, noops = compare(desired, current)
    c = by_address(changes)
    assert {a: str(x.action) for a, x in c.items()} == {
        "person.new": "create", "membership.new@a": "create",
        "person.old": "deactivate", "membership.old@a": "delete"}
    assert c["person.old"].after.status == "inactive" and c["person.old"].after.attributes["email"] == "o@x.example"
    assert noops == 2  # office.a unchanged, person.gone already inactive


def test_update_has_field_level_diff():
    changes, _ = compare({"person.p": R("person.p", name="New", admin=["a", "b"])},
                         {"person.p": R("person.p", name="Old", admin=["a"])})
    (change,) = changes
    assert change.action is Action.UPDATE
    paths = {(d.path, d.before, d.after) for d in change.diff}
    assert ("name", "Old", "New") in paths
    assert any(p.startswith("admin[") and after == "b" for p, before, after in paths)


def test_status_changes_are_deactivate_and_reactivate():
    d, _ = compare({"person.p": R("person.p", "inactive", name="P")}, {"person.p": R("person.p", name="P")})
    assert d[0].action is Action.DEACTIVATE
    assert [(x.path, x.before, x.after) for x in d[0].diff] == [("status", "active", "inactive")]
    r, _ = compare({"person.p": R("person.p", name="P")}, {"person.p": R("person.p", "inactive", name="P")})
    assert r[0].action is Action.REACTIVATE


def test_profile_user_type_change_is_a_replace_TYPE002():
    changes, _ = compare({"profile.x": R("profile.x", user_type="OT", email="x@e.example")},
                         {"profile.x": R("profile.x", user_type="PT", email="x@e.example")})
    (c,) = changes
    assert c.action is Action.REPLACE and "TYPE002" in c.reason and "x-x@e.example" in c.reason


def test_new_profile_taking_an_old_profiles_email_replaces_it_TYPE002():
    changes, _ = compare({"profile.new": R("profile.new", user_type="SLP", email="Same@e.example")},
                         {"profile.old": R("profile.old", user_type="PT", email="same@e.example")})
    c = by_address(changes)
    assert c["profile.new"].action is Action.REPLACE and c["profile.new"].replaces == "profile.old"
    assert c["profile.old"].action is Action.DEACTIVATE
    assert c["profile.old"].after.attributes["email"] == "x-same@e.example"
    assert [x.address for x in order(changes)] == ["profile.new", "profile.old"]


def test_same_user_type_new_profile_is_not_a_replace():
    changes, _ = compare({"profile.new": R("profile.new", user_type="PT", email="s@e.example")},
                         {"profile.old": R("profile.old", user_type="PT", email="s@e.example")})
    assert {c.address: c.action for c in changes} == {"profile.new": Action.CREATE, "profile.old": Action.DEACTIVATE}


def test_retired_copies_and_invitations_are_not_compared():
    current = {"profile.x~3": R("profile.x~3", "inactive", email="x-x@e.example"),
               "invitation.person.p": R("invitation.person.p", "pending", account="person.p")}
    changes, noops = compare({}, current)
    assert changes == [] and noops == 0


def test_order_offices_first_memberships_before_provider_removal():
    changes, _ = compare(
        {"office.n": R("office.n", name="N"), "person.q": R("person.q", name="Q"),
         "person.p": R("person.p", "inactive", account_type="physician")},
        {"person.p": R("person.p", account_type="physician"), "membership.p@o": R("membership.p@o"),
         "office.o": R("office.o", name="O")})
    assert [c.address for c in order(changes)] == ["office.n", "person.q", "membership.p@o", "person.p", "office.o"]


def test_retire_email_is_idempotent():
    assert retire_email("a@b.c") == "x-a@b.c" and retire_email("x-a@b.c") == "x-a@b.c"


def test_field_diff_of_missing_side_is_empty():
    assert field_diff(None, R("office.a", name="A")) == []


def test_mass_change_counts_only_active_accounts():
    current = {f"person.p{i}": R(f"person.p{i}") for i in range(4)}
    current["office.o"] = R("office.o")
    gone = [compare({}, {"person.p0": current["person.p0"]})[0][0],
            compare({}, {"person.p1": current["person.p1"]})[0][0]]
    assert mass_change(gone[:1], current, 0.25, False) == []  # 1 of 4 = 25%, not more
    (err,) = mass_change(gone, current, 0.25, False)
    assert err.code == "MASS001" and err.is_error and "2 of 4" in err.message
    (warn,) = mass_change(gone, current, 0.25, True)
    assert not warn.is_error


def test_membership_of_a_deactivated_person_says_why_it_goes():
    changes, _ = compare({"person.p": R("person.p", "inactive", name="P")},
                         {"person.p": R("person.p", name="P"),
                          "membership.p@o": R("membership.p@o", person="p", office="o")})
    c = by_address(changes)
    assert c["membership.p@o"].action is Action.DELETE
    assert "person.p is being deactivated" in c["membership.p@o"].reason and "LIFE002" in c["membership.p@o"].reason


def test_retire_email_picks_a_mark_no_earlier_replacement_holds_TYPE002():
    assert retire_email("a@b.c", {"x-a@b.c"}) == "x2-a@b.c"
    assert retire_email("a@b.c", {"x-a@b.c", "x2-a@b.c"}) == "x3-a@b.c"
    changes, _ = compare({"profile.p": R("profile.p", user_type="PTA", email="a@b.c")},
                         {"profile.p": R("profile.p", user_type="PT", email="a@b.c"),
                          "profile.p~2": R("profile.p~2", "inactive", user_type="PTA", email="x-a@b.c")})
    (c,) = changes
    assert c.action is Action.REPLACE and c.retired_email == "x2-a@b.c" and c.to_dict()["retired_email"] == "x2-a@b.c"


def test_previously_makes_a_move_not_a_deactivation_and_a_creation_ID001():
    desired = {"person.new": R("person.new", email="o@x.example", previously="old"),
               "profile.new-pt": R("profile.new-pt", person="new", user_type="PT", email="pt@x.example")}
    current = {"person.old": R("person.old", email="o@x.example"),
               "profile.old-pt": R("profile.old-pt", person="old", user_type="PT", email="PT@x.example")}
    changes, _ = compare(desired, current)
    c = by_address(changes)
    assert set(c) == {"person.new", "profile.new-pt"}
    assert (c["person.new"].action, c["person.new"].moved_from) == (Action.MOVE, "person.old")
    assert (c["profile.new-pt"].action, c["profile.new-pt"].moved_from) == (Action.MOVE, "profile.old-pt")


def test_without_previously_a_rename_is_a_deactivation_and_a_creation():
    changes, _ = compare({"person.new": R("person.new", email="o@x.example")},
                         {"person.old": R("person.old", email="o@x.example")})
    assert {c.address: c.action for c in changes} == {"person.new": Action.CREATE, "person.old": Action.DEACTIVATE}


def test_a_profile_of_another_person_never_replaces_by_email_TYPE002():
    changes, _ = compare({"profile.b": R("profile.b", person="bob", user_type="Biller", email="s@e.example")},
                         {"profile.a": R("profile.a", person="ann", user_type="PT", email="s@e.example")})
    assert {c.address: c.action for c in changes} == {"profile.b": Action.CREATE, "profile.a": Action.DEACTIVATE}


def test_EMAIL001_reused_emails_fires_on_a_deactivated_holder_and_is_quiet_for_a_move():
    from provisioner.diagnostics import Origin
    from provisioner.plan.lifecycle import reused_emails

    current = {"person.old": R("person.old", email="o@x.example")}
    origins = {"person.new": Origin("p.yaml", 0, ())}
    plain = {"person.new": R("person.new", email="O@X.example")}
    changes, _ = compare(plain, current)
    (err,) = reused_emails(changes, plain, current, origins)
    assert err.code == "EMAIL001" and "person.old" in err.message and err.origin.path == ("email",)
    moved = {"person.new": R("person.new", email="o@x.example", previously="old")}
    changes, _ = compare(moved, current)
    assert reused_emails(changes, moved, current, origins) == []
    # a move that also takes another deactivated account's address is still refused
    both = {**current, "person.gone": R("person.gone", "inactive", email="g@x.example")}
    grab = {"person.new": R("person.new", email="g@x.example", previously="old")}
    changes, _ = compare(grab, both)
    (err,) = reused_emails(changes, grab, both, origins)
    assert "person.gone" in err.message


def test_mass_change_counts_people_and_profiles_apart():
    current = {**{f"person.p{i}": R(f"person.p{i}") for i in range(8)},
               **{f"profile.f{i}": R(f"profile.f{i}") for i in range(3)}}
    gone, _ = compare({a: r for a, r in current.items() if a != "profile.f0"}, current)
    (err,) = mass_change(gone, current, 0.25, False)  # 1 of 11 accounts, but 1 of 3 profiles
    assert err.subject == "profile" and "1 of 3 active EMR profiles" in err.message
