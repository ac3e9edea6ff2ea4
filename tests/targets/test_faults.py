"""The fault matrix: each fault is injected between the provisioner and a real SCIM server
by the proxy; afterwards a plain `sync` converges — every person exists exactly once with
the right attributes, nobody doubled, nobody lost, and the state's shadows name what the
server holds. Fault × outcome is the table below."""

from __future__ import annotations

import pytest

from .harness import (DELAY, HANG, LOSE_RESPONSE, RESET_AFTER, RESET_BEFORE, RESPOND, Fault, direct_create,
                      direct_patch)
from .scimorg import apply, outbox, sync, write_org
from .test_scim_delivery import by_external, converged

PEOPLE = {"dr-0": True, "staff-0": True, "staff-1": True, "staff-2": True}

# (id, fault, exit code of the apply that meets it)
FAULTS = [
    ("429-retry-after", Fault(method="POST", path=r"/Users$", times=2, status=429, headers={"Retry-After": "1"}), 0),
    ("500-twice", Fault(method="POST", path=r"/Users$", times=2, status=500), 0),
    ("503-always", Fault(method="POST", path=r"/Users$", times=None, status=503), 3),
    ("reset-before", Fault(method="POST", path=r"/Users$", times=2, action=RESET_BEFORE), 0),
    ("reset-after-landing", Fault(method="POST", path=r"/Users$", times=2, action=RESET_AFTER), 0),
    ("answer-lost-502", Fault(method="POST", path=r"/Users$", times=3, action=LOSE_RESPONSE, status=502), 0),
    ("slow", Fault(method="POST", path=r"/Users$", times=None, action=DELAY, delay=0.3), 0),
    ("timeout", Fault(method="POST", path=r"/Users$", times=1, action=HANG), 0),
    ("discovery-down", Fault(path=r"/ServiceProviderConfig$", times=None, status=503), 3),
    ("400-refused", Fault(method="POST", path=r"/Users$", times=None, status=400), 4),
]


@pytest.mark.parametrize("fault,code", [(f, c) for _, f, c in FAULTS], ids=[i for i, _, _ in FAULTS])
def test_fault_then_sync_converges(scim_server, tmp_path, fault_proxy, fault, code):
    proxy = fault_proxy(scim_server.base_url)
    proxy.add(fault)
    org = write_org(tmp_path / "org", proxy.base_url, staff=3, extra="max_attempts: 3\n",
                    timeout=1 if fault.action == HANG else 5)
    state = f"sqlite:///{tmp_path}/state.db"
    r = apply(org, state, scim_server.token)
    assert r.exit_code == code, r.output
    assert fault.fired >= 1
    assert "Traceback" not in r.output
    proxy.clear()
    if code == 4:
        s = sync(org, state, scim_server.token, "--retry", "all")
    else:
        s = sync(org, state, scim_server.token)
    assert s.exit_code == 0, s.output
    converged(scim_server, state, PEOPLE)


def test_412_after_a_concurrent_edit_is_drift_and_is_not_overwritten(scim_server, tmp_path):
    state = f"sqlite:///{tmp_path}/state.db"
    url = scim_server.base_url
    assert apply(write_org(tmp_path / "org", url, staff=1), state, scim_server.token).exit_code == 0
    someone = by_external(scim_server.users())["staff-0"][0]
    direct_patch(scim_server, someone["id"], [{"op": "replace", "path": "displayName", "value": "Changed By Hand"}])
    r = apply(write_org(tmp_path / "org", url, staff=1, emails={"staff-0": "new0@scim.example"}), state,
              scim_server.token)
    assert r.exit_code == 4, r.output
    assert "drift" in r.output and "displayName" in r.output
    now = by_external(scim_server.users())["staff-0"][0]
    assert (now["displayName"], now["userName"]) == ("Changed By Hand", "staff0@scim.example")
    ops, _ = outbox(state)
    assert [op.status for op in ops if op.key == "person.staff-0"][-1] == "drift"


def test_409_for_a_user_created_behind_our_back_is_a_conflict_never_overwritten(scim_server, tmp_path):
    direct_create(scim_server, {"userName": "staff0@scim.example", "externalId": "someone-else",
                                "displayName": "Not Ours"})
    state = f"sqlite:///{tmp_path}/state.db"
    r = apply(write_org(tmp_path / "org", scim_server.base_url, staff=1), state, scim_server.token)
    assert r.exit_code == 4, r.output
    assert "held at idp by account id" in r.output and "someone-else" in r.output
    users = by_external(scim_server.users())
    assert users["someone-else"][0]["displayName"] == "Not Ours"
    assert "staff-0" not in users and len(users["dr-0"]) == 1


def test_an_account_created_earlier_with_our_external_id_is_adopted_not_doubled(scim_server, tmp_path):
    direct_create(scim_server, {"userName": "staff0@scim.example", "externalId": "staff-0",
                                "displayName": "Created Before"})
    state = f"sqlite:///{tmp_path}/state.db"
    r = apply(write_org(tmp_path / "org", scim_server.base_url, staff=1), state, scim_server.token)
    assert r.exit_code == 0, r.output
    converged(scim_server, state, {"dr-0": True, "staff-0": True})
    assert by_external(scim_server.users())["staff-0"][0]["displayName"] == "Staff Member0"


def test_an_account_with_our_external_id_under_another_login_is_not_taken_over(scim_server, tmp_path):
    """The externalId is a bare person id: another org on the same service (or a hand-made
    account) may hold `staff-0` too. Found under another login it is a conflict, never
    patched to our login and e-mail (which would hand that person's account to ours)."""
    theirs = direct_create(scim_server, {"userName": "ana@other-org.example", "externalId": "staff-0",
                                         "displayName": "Ana Of Another Org"})
    state = f"sqlite:///{tmp_path}/state.db"
    r = apply(write_org(tmp_path / "org", scim_server.base_url, staff=1), state, scim_server.token)
    assert r.exit_code == 4, r.output
    assert "not taken over" in r.output and "ana@other-org.example" in r.output
    held = {u["id"]: u for u in scim_server.users()}
    assert held[theirs["id"]]["userName"] == "ana@other-org.example"
    assert held[theirs["id"]]["displayName"] == "Ana Of Another Org"
    ops, shadows = outbox(state)
    assert [op.status for op in ops if op.key == "person.staff-0"] == ["conflict"]
    assert "person.staff-0" not in shadows


def test_a_create_answered_without_an_id_is_not_recorded_as_delivered(scim_server, tmp_path, fault_proxy):
    proxy = fault_proxy(scim_server.base_url)
    proxy.add(Fault(method="POST", path=r"/Users$", times=None, status=201, body={"schemas": []}))
    state = f"sqlite:///{tmp_path}/state.db"
    r = apply(write_org(tmp_path / "org", proxy.base_url, staff=1), state, scim_server.token)
    assert r.exit_code == 4, r.output
    assert "answered without the new account's id" in r.output
    ops, shadows = outbox(state)
    assert {op.status for op in ops} == {"failed"} and not shadows


BULK_FAULTS = [
    ("bulk-503-twice", Fault(method="POST", path=r"/Bulk$", times=2, status=503), 0),
    ("bulk-landed-answer-lost", Fault(method="POST", path=r"/Bulk$", times=1, action=RESET_AFTER), 0),
    ("bulk-refused", Fault(method="POST", path=r"/Bulk$", times=None, status=501), 0),
]


@pytest.mark.parametrize("fault,code", [(f, c) for _, f, c in BULK_FAULTS], ids=[i for i, _, _ in BULK_FAULTS])
def test_bulk_faults_converge_without_doubles(tmp_path, _scim_servers, fault_proxy, fault, code):
    from .conftest import _server

    server = _server(_scim_servers, "scim2-server", True)  # scimmy offers no Bulk
    proxy = fault_proxy(server.base_url)
    proxy.add(fault)
    org = write_org(tmp_path / "org", proxy.base_url, staff=60, extra="max_attempts: 2\n")
    state = f"sqlite:///{tmp_path}/state.db"
    r = apply(org, state, server.token)
    assert fault.fired >= 1 and proxy.count("POST", "/Bulk") >= 1
    proxy.clear()
    s = sync(org, state, server.token)
    assert s.exit_code == 0, (r.output, s.output)
    converged(server, state, {"dr-0": True, **{f"staff-{i}": True for i in range(60)}})


def test_a_group_waits_for_a_member_whose_create_failed_and_nothing_else_stops(scim_server, tmp_path, fault_proxy):
    proxy = fault_proxy(scim_server.base_url)
    refused = proxy.add(Fault(method="POST", path=r"/Users$", times=None, status=400,
                              request_body="staff1@scim.example"))
    org = write_org(tmp_path / "org", proxy.base_url, staff=3, groups=True)
    state = f"sqlite:///{tmp_path}/state.db"
    r = apply(org, state, scim_server.token)
    assert r.exit_code == 4, r.output
    assert refused.fired == 1 and "3 delivered" in r.output and "1 failed" in r.output
    assert sorted(u["externalId"] for u in scim_server.users()) == ["dr-0", "staff-0", "staff-2"]
    assert scim_server.groups() == []  # it waits for staff-1
    ops, _ = outbox(state)
    assert {op.key: op.status for op in ops} == {"person.dr-0": "delivered", "person.staff-0": "delivered",
                                                 "person.staff-1": "failed", "person.staff-2": "delivered",
                                                 "office.east": "pending"}
    proxy.clear()
    s = sync(org, state, scim_server.token, "--retry", "all")
    assert s.exit_code == 0, s.output
    converged(scim_server, state, {"dr-0": True, "staff-0": True, "staff-1": True, "staff-2": True})
    assert len(scim_server.groups()[0]["members"]) == 4


def test_our_own_write_whose_answer_was_lost_is_not_mistaken_for_drift(scim_server, tmp_path, fault_proxy):
    proxy = fault_proxy(scim_server.base_url)
    state = f"sqlite:///{tmp_path}/state.db"
    kw = dict(staff=2, extra="max_attempts: 1\n")
    assert apply(write_org(tmp_path / "org", proxy.base_url, **kw), state, scim_server.token).exit_code == 0
    lost = proxy.add(Fault(method="PATCH", path=r"/Users/", times=None, action=LOSE_RESPONSE, status=502))
    r = apply(write_org(tmp_path / "org", proxy.base_url, inactive={"staff-1"}, **kw), state, scim_server.token)
    assert r.exit_code == 3 and lost.fired >= 1, r.output  # landed at the server, answer lost: still owed
    assert by_external(scim_server.users())["staff-1"][0]["active"] is False
    proxy.clear()
    r = apply(write_org(tmp_path / "org", proxy.base_url, **kw), state, scim_server.token)  # active again
    assert r.exit_code == 0, r.output
    assert "drift" not in r.output
    converged(scim_server, state, {"dr-0": True, "staff-0": True, "staff-1": True})


def test_sync_delivers_nothing_from_a_tampered_state_and_anchors_nothing(scim_server, tmp_path, fault_proxy):
    """Like apply, sync verifies the state first: a row edited in the database stops it
    before any delivery, any audit row and any anchor."""
    import sqlite3

    proxy = fault_proxy(scim_server.base_url)
    proxy.add(Fault(method="POST", path=r"/Users$", times=None, status=503))
    org = write_org(tmp_path / "org", proxy.base_url, staff=1, extra="max_attempts: 1\n")
    state = f"sqlite:///{tmp_path}/state.db"
    assert apply(org, state, scim_server.token).exit_code == 3  # applied, deliveries pending
    anchor = (org / ".audit" / "state-anchor.json").read_bytes()
    with sqlite3.connect(tmp_path / "state.db") as db:
        db.execute("UPDATE resources SET attributes = '{}' WHERE address = 'person.staff-0'")
        rows = db.execute("SELECT COUNT(*) FROM audit").fetchone()[0]
    proxy.clear()
    s = sync(org, state, scim_server.token)
    assert s.exit_code == 1 and "fails verification" in s.output and "person.staff-0" in s.output, s.output
    assert "Traceback" not in s.output
    assert (org / ".audit" / "state-anchor.json").read_bytes() == anchor
    with sqlite3.connect(tmp_path / "state.db") as db:
        assert db.execute("SELECT COUNT(*) FROM audit").fetchone()[0] == rows
    assert not by_external(scim_server.users())  # nothing reached the server


def test_a_listing_that_never_ends_is_refused_not_read_forever(scim_server, tmp_path, fault_proxy, monkeypatch):
    """A service answering one account a page and a total of 10^12 (or a total that is no
    number): reading it stops at the bound, with one error line; nothing hangs."""
    from provisioner.targets import scim

    from .scimorg import cli

    monkeypatch.setattr(scim, "MAX_LISTED", 40)
    proxy = fault_proxy(scim_server.base_url)
    state = f"sqlite:///{tmp_path}/state.db"
    org = write_org(tmp_path / "org", proxy.base_url, staff=1)
    assert apply(org, state, scim_server.token).exit_code == 0
    page = {"schemas": ["urn:ietf:params:scim:api:messages:2.0:ListResponse"], "totalResults": 10 ** 12,
            "Resources": [{"id": "x", "userName": "x@agency.example"}]}
    proxy.add(Fault(method="GET", path=r"/Users$", times=None, status=200, body=page))
    d = cli("drift", "--org", org, "--state", state, token=scim_server.token)
    assert d.exit_code == 1 and "refusing to read on" in d.output and "Traceback" not in d.output, d.output
    assert proxy.count("GET") < 200
    proxy.clear()
    proxy.add(Fault(method="GET", path=r"/Users$", times=None, status=200, body={**page, "totalResults": "many"}))
    d = cli("drift", "--org", org, "--state", state, token=scim_server.token)
    assert d.exit_code == 1 and "totalResults is 'many'" in d.output and "internal error" not in d.output, d.output


def test_malformed_scim_documents_are_read_as_far_as_they_make_sense(scim_server, tmp_path, fault_proxy):
    """/Schemas listing strings, users whose `meta` is a string: no internal error; what
    cannot be read there is read as absent."""
    from .scimorg import cli

    proxy = fault_proxy(scim_server.base_url)
    proxy.add(Fault(method="GET", path=r"/Schemas$", times=None, status=200, body={"Resources": ["x", 3]}))
    state = f"sqlite:///{tmp_path}/state.db"
    org = write_org(tmp_path / "org", proxy.base_url, staff=1)
    r = apply(org, state, scim_server.token)
    assert r.exit_code == 0 and "internal error" not in r.output, r.output
    page = {"schemas": ["urn:ietf:params:scim:api:messages:2.0:ListResponse"], "totalResults": 1,
            "Resources": [{"id": "x", "userName": "x@agency.example", "meta": "x"}]}
    proxy.add(Fault(method="GET", path=r"/Users$", times=None, status=200, body=page))
    d = cli("drift", "--org", org, "--state", state, token=scim_server.token)
    assert d.exit_code in (0, 2) and "internal error" not in d.output and "Traceback" not in d.output, d.output


def test_a_service_that_drips_its_answer_is_cut_off_at_the_timeout(tmp_path):
    """httpx bounds each read, not the whole answer: a service sending its answer a byte at a
    time (each byte in time) is cut off once the answer has taken longer than the timeout."""
    import threading
    import time
    from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

    class Drip(BaseHTTPRequestHandler):
        def do_GET(self):  # noqa: N802 - the stdlib's name
            body = b'{"schemas": ["urn:ietf:params:scim:schemas:core:2.0:ServiceProviderConfig"]}' + b" " * 400
            self.send_response(200)
            self.send_header("Content-Type", "application/scim+json")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            try:
                for i in range(len(body)):
                    self.wfile.write(body[i:i + 1])
                    self.wfile.flush()
                    time.sleep(0.05)
            except OSError:
                pass

        def log_message(self, *args):
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Drip)
    server.daemon_threads = True
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        url = f"http://127.0.0.1:{server.server_address[1]}/v2"
        org = write_org(tmp_path / "org", url, staff=1, timeout=1, extra="max_attempts: 1\n")
        started = time.monotonic()
        r = apply(org, f"sqlite:///{tmp_path}/state.db", "token")
        assert time.monotonic() - started < 15
        assert r.exit_code == 3 and "no whole answer within 4.0s" in r.output, r.output
    finally:
        server.shutdown()
        server.server_close()
