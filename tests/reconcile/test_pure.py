"""The pure parts of reconciliation: classifying accounts (match), the importer's ids,
duplicates and determinism, drift of one account, refresh entries and the guard."""

from __future__ import annotations

from provisioner.model import Policy, Target
from provisioner.reconcile.drift import compare
from provisioner.reconcile.importer import build, render_yaml, stable_id
from provisioner.reconcile.match import classify
from provisioner.reconcile.refresh import entries, unmanaged_guard
from provisioner.state.backend import Resource
from provisioner.targets.operations import Shadow
from provisioner.targets.scimjson import EXTENSION

TARGET = Target("idp", "IdP", "scim", ("referral_accounts",), False, {}, None)


def expected(*people):
    return {f"person.{p}": {"external_id": p, "user_name": f"{p}@x.example", "email": f"{p}@x.example"}
            for p in people}


def test_classify_by_external_id_then_email_with_disputes_and_missing():
    users = [
        {"id": "1", "externalId": "ann", "userName": "whatever@x.example"},
        {"id": "2", "userName": "BO@X.example"},                                  # case variant: bo
        {"id": "3", "userName": "cy@x.example"},                                   # cy's login
        {"id": "4", "userName": "cy.old@x.example", "emails": [{"value": "cy@x.example"}]},
        {"id": "5", "userName": "shared@x.example", "emails": [{"value": "di@x.example"}, {"value": "ed@x.example"}]},
        {"id": "6", "userName": "stranger@y.example"},
        {"id": "7", "userName": "fay@x.example"},
    ]
    m = classify(expected("ann", "bo", "cy", "di", "ed", "fay", "gus"), users,
                 {"person.fay": Shadow("idp", "person.fay", "7")})
    got = {s.remote_id: (s.kind, s.key, s.by) for s in m.accounts}
    assert got == {"1": ("matched", "person.ann", "externalId"), "2": ("matched", "person.bo", "e-mail"),
                   "3": ("matched", "person.cy", "login"), "4": ("disputed", None, "e-mail"),
                   "5": ("disputed", None, "e-mail"), "6": ("unmatched", None, ""),
                   "7": ("linked", "person.fay", "shadow")}
    assert m.missing == ["person.gus"]
    gone = {**expected("hal"), **{k: {**v, "active": False} for k, v in expected("ivy").items()}}
    assert classify(gone, [], {}).missing == ["person.hal"]  # ivy is inactive: no account is owed her


def test_import_ids_are_stable_collisions_visible_duplicates_listed_and_output_deterministic():
    users = [{"id": "a", "userName": "maria.lopez@east.example", "active": True},
             {"id": "b", "userName": "Maria.Lopez@west.example", "active": True},
             {"id": "c", "userName": "maria.lopez.old@east.example", "active": False,
              "emails": [{"value": "MARIA.LOPEZ@east.example"}]},
             {"id": "d", "userName": "x@y.example", "externalId": "kept-id",
              EXTENSION: {"accountType": "office_staff", "offices": ["west", "east"]}}]
    assert stable_id(users[3]) == "kept-id" and stable_id({"id": "z", "userName": "J.O'Neil@x"}) == "j-o-neil"
    m = classify({}, users, {})
    one = build("idp", users, [], m, taken_ids={"maria-lopez"}, offices={"east"})
    assert [p["id"] for p in one.people] == ["maria-lopez-2", "maria-lopez-3", "kept-id"]
    assert one.notes[0].startswith("id maria-lopez is taken: account a")
    assert one.counts["duplicate"] == 1 and "account c (maria.lopez.old@east.example) shares an e-mail" in one.findings[0]
    assert [o["id"] for o in one.offices] == ["west"]
    assert one.people[2]["offices"] == ["east", "west"]
    again = build("idp", list(reversed(users)), [], classify({}, list(reversed(users)), {}),
                  taken_ids={"maria-lopez"}, offices={"east"})
    assert render_yaml(again, "x") == render_yaml(one, "x")


def _state():
    return {"person.ann": Resource("person.ann", "person", {"name": "Ann Lee", "email": "ann@x.example",
                                                            "account_type": "office_staff"}),
            "person.bo": Resource("person.bo", "person", {"name": "Bo Chen", "email": "bo@x.example",
                                                          "account_type": "office_staff"}, "inactive")}


def test_drift_and_refresh_of_one_target():
    users = [{"id": "1", "externalId": "ann", "userName": "ann@x.example", "active": True, "displayName": "Ann X",
              "name": {"givenName": "Ann", "familyName": "X"}, "emails": [{"value": "ann@x.example"}],
              "meta": {"lastModified": "2026-11-20T10:00:00Z", "version": 'W/"9"'},
              EXTENSION: {"accountType": "office_staff"}},
             {"id": "2", "externalId": "bo", "userName": "bo@x.example", "active": True},
             {"id": "3", "userName": "z@x.example", "active": True}]
    shadows = {"person.ann": Shadow("idp", "person.ann", "1"), "person.bo": Shadow("idp", "person.bo", "2")}
    report = compare(TARGET, _state(), shadows, users, extension=True)
    assert [(f.kind, f.key, f.attributes) for f in report.findings] == [
        ("changed", "person.ann", ("displayName", "name.familyName")),
        ("reactivated", "person.bo", ("active",)), ("unmanaged", None, ())]
    merged = Target("idp", "IdP", "scim", ("referral_accounts",), False, {"merge": ["displayName", "name"]}, None)
    assert [f.kind for f in compare(merged, _state(), shadows, users, extension=True).findings] == [
        "reactivated", "unmanaged"]
    found = entries(TARGET, _state(), shadows, users, [], extension=True, unmanaged="deactivate")
    assert [(e["action"], e["key"]) for e in found] == [
        ("update", "person.ann"), ("deactivate", "person.bo"), ("deactivate", "unmanaged.3")]
    assert found[0]["reason"] == ("changed at idp (displayName, name.familyName) on 2026-11-20 "
                                  "(lastModified 2026-11-20T10:00:00Z)")
    assert found[0]["version"] == 'W/"9"'
    assert unmanaged_guard(found, users, Policy().mass_change_limit) is not None  # 1 of 3 > 25%
    assert unmanaged_guard(found, users, 0.5) is None
    assert entries(TARGET, _state(), shadows, users, [], extension=True)[-1]["key"] == "person.bo"  # report only


def test_an_emr_profile_account_is_listed_not_imported_as_a_person():
    users = [{"id": "p", "userName": "ann.emr@x.example", EXTENSION: {"userType": "PT", "person": "ann"}},
             {"id": "q", "userName": "ann@x.example"}]
    out = build("emr", users, [], classify({}, users, {}), taken_ids=(), offices=())
    assert [p["id"] for p in out.people] == ["ann"]
    assert out.findings == ["account p (ann.emr@x.example) is an EMR profile (userType PT): not imported as a "
                            "person; add it to its person's `profiles`"]
