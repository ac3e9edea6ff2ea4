"""Smoke tests of the target-test harness: each real SCIM server holds our extension, finds
users by externalId, honours If-Match, refuses duplicate userNames; the fault proxy does
each kind of fault once and the client sees it; the baseline loop measures a rate."""

from __future__ import annotations

import time

import httpx
import pytest

from .harness import (free_port, DELAY, EXTENSION_URN, GROUP_URN, HANG, LOSE_RESPONSE, PATCH_URN, RESET_AFTER,
                      RESET_BEFORE, USER_URN, Fault, baseline_create_rate, direct_create, direct_patch,
                      inprocess_create_rate)


def person(n: int = 1, *, extension: bool = True) -> dict:
    user = {"schemas": [USER_URN], "userName": f"maria.lopez{n}@riverside.example",
            "externalId": f"maria-lopez-{n}", "name": {"givenName": "Maria", "familyName": "Lopez"},
            "emails": [{"value": f"maria.lopez{n}@riverside.example", "type": "work", "primary": True}],
            "active": True}
    if extension:
        user["schemas"].append(EXTENSION_URN)
        user[EXTENSION_URN] = {"accountType": "physician_staff", "offices": ["eastside-rehab", "westside"],
                               "workQueueChat": True, "npi": "1234567893", "userType": "PT",
                               "clinics": ["eastside-rehab"], "defaultClinic": "eastside-rehab",
                               "permissions": ["view_patients", "edit_patients"], "emrAdmin": False}
    return user


def client_for(base_url: str, token: str, timeout: float = 5.0) -> httpx.Client:
    return httpx.Client(base_url=base_url, timeout=timeout, headers={
        "Authorization": f"Bearer {token}", "Content-Type": "application/scim+json"})


def deactivate(version: str | None) -> tuple[dict, dict]:
    body = {"schemas": [PATCH_URN], "Operations": [{"op": "replace", "path": "active", "value": False}]}
    return body, ({"If-Match": version} if version else {})


# --- the servers ---------------------------------------------------------------------------

def test_user_round_trip_with_extension(scim_server):
    client = scim_server.client()
    created = client.post("/Users", json=person())
    assert created.status_code == 201, created.text
    user = created.json()
    assert user[EXTENSION_URN]["offices"] == ["eastside-rehab", "westside"]
    assert created.headers["ETag"] == user["meta"]["version"]

    found = client.get("/Users", params={"filter": 'externalId eq "maria-lopez-1"'}).json()
    assert [u["id"] for u in found["Resources"]] == [user["id"]]

    body, headers = deactivate(user["meta"]["version"])
    patched = client.patch(f"/Users/{user['id']}", json=body, headers=headers)
    assert patched.status_code in (200, 204), patched.text
    assert patched.headers["ETag"] != user["meta"]["version"]

    again = client.get(f"/Users/{user['id']}").json()
    assert again["active"] is False
    assert again[EXTENSION_URN]["npi"] == "1234567893"
    assert again[EXTENSION_URN]["workQueueChat"] is True
    assert [u["externalId"] for u in scim_server.users()] == ["maria-lopez-1"]


def test_stale_if_match_is_refused_after_a_concurrent_edit(scim_server):
    user = scim_server.client().post("/Users", json=person()).json()
    edited = direct_patch(scim_server, user["id"], [{"op": "replace", "path": "displayName", "value": "M. Lopez"}])
    assert edited["meta"]["version"] != user["meta"]["version"]
    body, headers = deactivate(user["meta"]["version"])
    answer = scim_server.client().patch(f"/Users/{user['id']}", json=body, headers=headers)
    assert answer.status_code == 412, answer.text
    assert scim_server.client().get(f"/Users/{user['id']}").json()["active"] is True


def test_user_created_behind_our_back_gives_409(scim_server):
    theirs = direct_create(scim_server, {"userName": "maria.lopez1@riverside.example", "externalId": "someone-else"})
    answer = scim_server.client().post("/Users", json=person())
    assert answer.status_code == 409, answer.text
    assert answer.json()["scimType"] == "uniqueness"
    assert [u["id"] for u in scim_server.users()] == [theirs["id"]]


def test_schemas_and_resource_types_declare_the_extension(scim_server):
    client = scim_server.client()
    schemas = [s["id"] for s in client.get("/Schemas").json()["Resources"]]
    assert EXTENSION_URN in schemas
    user_type = client.get("/ResourceTypes/User").json()
    assert {"schema": EXTENSION_URN, "required": False} in user_type["schemaExtensions"]
    assert client.get("/Users", headers={"Authorization": "Bearer wrong"}).status_code == 401


def test_groups_hold_members_and_wipe_empties_the_server(scim_server):
    client = scim_server.client()
    user = client.post("/Users", json=person()).json()
    group = client.post("/Groups", json={"schemas": [GROUP_URN], "displayName": "Eastside Rehab",
                                         "externalId": "office-eastside", "members": [{"value": user["id"]}]})
    assert group.status_code == 201, group.text
    assert [m["value"] for m in scim_server.groups()[0]["members"]] == [user["id"]]
    scim_server.wipe()
    assert scim_server.users() == [] and scim_server.groups() == []
    assert scim_server.count("/Users") == 0 and scim_server.count("/Groups") == 0


def test_server_without_extension_does_not_hold_it(scim_server_no_extension):
    server = scim_server_no_extension
    client = server.client()
    assert EXTENSION_URN not in [s["id"] for s in client.get("/Schemas").json()["Resources"]]
    assert client.post("/Users", json=person(1, extension=False)).status_code == 201
    answer = client.post("/Users", json=person(2))  # scim2-server: 400; scimmy drops the unknown part
    assert answer.status_code in (201, 400), answer.text
    assert all(EXTENSION_URN not in u for u in server.users())


def test_baseline_create_rate_counts_real_creates(scim_server):
    rate = baseline_create_rate(scim_server.base_url, scim_server.token, 20, threads=2)
    assert rate.users == 20 and rate.per_second > 0
    assert len(scim_server.users()) == 20 == scim_server.count()


def test_inprocess_rate_of_scim2_server():
    rate = inprocess_create_rate(10)
    assert rate.users == 10 and rate.seconds > 0


# --- the fault proxy -----------------------------------------------------------------------

def test_canned_answers_with_retry_after_then_pass(scim_server, fault_proxy):
    proxy = fault_proxy(scim_server.base_url)
    proxy.add(Fault(method="POST", path=r"/Users$", times=2, status=503, headers={"Retry-After": "1"}))
    with client_for(proxy.base_url, scim_server.token) as client:
        answers = [client.post("/Users", json=person()) for _ in range(3)]
    assert [a.status_code for a in answers] == [503, 503, 201]
    assert answers[0].headers["Retry-After"] == "1"
    assert proxy.count("POST", r"/Users$") == 3
    assert [e.forwarded for e in proxy.log] == [False, False, True]
    assert len(scim_server.users()) == 1


def test_nth_request_only(scim_server, fault_proxy):
    proxy = fault_proxy(scim_server.base_url)
    proxy.add(Fault(method="GET", path=r"/Users$", nth=2, status=429, headers={"Retry-After": "0"}))
    with client_for(proxy.base_url, scim_server.token) as client:
        codes = [client.get("/Users").status_code for _ in range(3)]
    assert codes == [200, 429, 200]
    assert proxy.counts[("GET", proxy.base_path + "/Users")] == 3


def test_fault_for_one_request_body(scim_server, fault_proxy):
    proxy = fault_proxy(scim_server.base_url)
    fault = proxy.add(Fault(method="POST", path=r"/Users$", request_body=r'"maria\.lopez2@', status=500))
    with client_for(proxy.base_url, scim_server.token) as client:
        codes = [client.post("/Users", json=person(n)).status_code for n in (1, 2, 3)]
    assert codes == [201, 500, 201]
    assert (fault.matched, fault.fired) == (1, 1)


def test_lost_answer_still_lands(scim_server, fault_proxy):
    proxy = fault_proxy(scim_server.base_url)
    proxy.add(Fault(method="POST", path=r"/Users$", action=LOSE_RESPONSE, status=500))
    with client_for(proxy.base_url, scim_server.token) as client:
        assert client.post("/Users", json=person()).status_code == 500
    assert [u["externalId"] for u in scim_server.users()] == ["maria-lopez-1"]
    assert proxy.log[0].upstream_status == 201


@pytest.mark.parametrize("action, lands", [(RESET_BEFORE, False), (RESET_AFTER, True)])
def test_connection_reset(scim_server, fault_proxy, action, lands):
    proxy = fault_proxy(scim_server.base_url)
    proxy.add(Fault(method="POST", path=r"/Users$", action=action))
    with client_for(proxy.base_url, scim_server.token) as client:
        with pytest.raises(httpx.TransportError):
            client.post("/Users", json=person())
        assert client.get("/Users").status_code == 200  # the next connection works
    assert len(scim_server.users()) == (1 if lands else 0)
    assert proxy.log[0].status is None and proxy.log[0].forwarded is lands


def test_slow_answer(scim_server, fault_proxy):
    proxy = fault_proxy(scim_server.base_url)
    proxy.add(Fault(method="GET", path=r"/ServiceProviderConfig$", action=DELAY, delay=0.3))
    with client_for(proxy.base_url, scim_server.token) as client:
        started = time.monotonic()
        assert client.get("/ServiceProviderConfig").status_code == 200
        assert time.monotonic() - started >= 0.3


def test_hang_until_the_client_times_out(scim_server, fault_proxy):
    proxy = fault_proxy(scim_server.base_url)
    proxy.add(Fault(method="POST", path=r"/Users$", action=HANG))
    with client_for(proxy.base_url, scim_server.token, timeout=0.3) as client:
        with pytest.raises(httpx.ReadTimeout):
            client.post("/Users", json=person())
    proxy.clear()
    with client_for(proxy.base_url, scim_server.token) as client:
        assert client.post("/Users", json=person()).status_code == 201
    assert len(scim_server.users()) == 1


@pytest.mark.parametrize("start, count", [(1, 3), (4, 3), (7, 3), (2, 3), (3, 5), (8, 3)])
def test_pages_are_slices_of_the_whole_list(scim_server, start, count):
    client = scim_server.client()
    for n in range(7):
        assert client.post("/Users", json=person(n, extension=False)).status_code == 201
    everyone = [u["id"] for u in scim_server.users()]
    assert len(everyone) == 7
    page = client.get("/Users", params={"startIndex": start, "count": count}).json()
    assert page["totalResults"] == 7
    assert [u["id"] for u in page["Resources"]] == everyone[start - 1:start - 1 + count]


def test_unreachable_upstream_is_a_bad_gateway(fault_proxy):
    proxy = fault_proxy(f"http://127.0.0.1:{free_port()}/v2")
    assert httpx.get(f"{proxy.base_url}/Users", timeout=5).status_code == 502
    assert proxy.log[0].forwarded is False and proxy.log[0].status == 502
