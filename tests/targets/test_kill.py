"""kill -9 at random points of `apply` — planning, the state transaction, delivery — at
least twenty times: afterwards one more apply delivers the rest exactly once. Each round
applies a config that deactivates a different set of people, through a proxy that slows
every write, in a real process killed part-way."""

from __future__ import annotations

import os
import random
import signal
import subprocess
import sys
import time

from .harness import DELAY, Fault
from .scimorg import TODAY, TOKEN_ENV, apply, outbox, write_org
from .test_scim_delivery import by_external

KILLS = 20
MAX_ROUNDS = 40
STAFF = 40


def inactive_set(round_no: int) -> set[str]:
    return {f"staff-{i}" for i in range(STAFF) if (i + round_no) % 4 == 0}


def test_kill_9_during_apply_and_delivery_twenty_times_then_each_person_is_delivered_once(
        tmp_path, _scim_servers, fault_proxy):
    from .conftest import _server

    server = _server(_scim_servers, "scim2-server", True)
    proxy = fault_proxy(server.base_url)
    proxy.add(Fault(method=None, path=r"/(Users|Groups|Bulk)", times=None, action=DELAY, delay=0.03))
    state = f"sqlite:///{tmp_path}/state.db"
    org = tmp_path / "org"
    rng = random.Random(20261124)
    env = {**os.environ, TOKEN_ENV: server.token}
    command = [sys.executable, "-m", "provisioner", "apply", str(org), "--auto-approve", "--state", state,
               "--today", TODAY, "--lock-timeout", "30"]

    def start(round_no: int) -> subprocess.Popen:
        write_org(org, proxy.base_url, staff=STAFF, groups=True, inactive=inactive_set(round_no))
        return subprocess.Popen(command, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                                stdin=subprocess.DEVNULL)

    # one uninterrupted apply first: how long an apply takes here sets the window the kills fall in
    began = time.monotonic()
    assert start(0).wait() == 0
    took = time.monotonic() - began
    killed = rounds = 0
    while killed < KILLS and rounds < MAX_ROUNDS:
        rounds += 1
        proc = start(rounds)
        time.sleep(rng.uniform(0.1, 0.9) * took)
        if proc.poll() is None:
            os.kill(proc.pid, signal.SIGKILL)
            killed += 1
        proc.wait()
    assert killed >= KILLS, f"only {killed} of {rounds} rounds were cut short"
    proxy.clear()
    final = apply(write_org(org, proxy.base_url, staff=STAFF, groups=True, inactive=inactive_set(0)), state,
                  server.token)
    assert final.exit_code == 0, final.output
    users = by_external(server.users())
    assert all(len(found) == 1 for found in users.values()), "an account was doubled"
    wanted = {"dr-0", *(f"staff-{i}" for i in range(STAFF))} - inactive_set(0)
    assert {k for k, found in users.items() if found[0]["active"]} == wanted
    # people deactivated now were either never sent (inactive whenever an apply got through) or are inactive
    assert set(users) - wanted <= inactive_set(0)
    _, shadows = outbox(state)
    assert {s.key.split(".", 1)[1]: s.remote_id for s in shadows.values() if s.key.startswith("person.")} == \
        {k: found[0]["id"] for k, found in users.items()}
    groups = server.groups()
    members = {m["value"] for m in groups[0]["members"]}
    active_ids = {u["id"] for u in server.users() if u["active"]}
    assert len(groups) == 1 and members == active_ids
    ops, _ = outbox(state)
    assert {op.status for op in ops} <= {"delivered", "superseded"}
