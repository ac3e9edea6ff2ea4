"""kill -9 at random points while a deliverer is sending: afterwards a `sync` delivers the
rest exactly once. Each round starts a real `provisioner sync` process through a proxy that
slows every write, and kills it part-way (or, by chance, after it finished)."""

from __future__ import annotations

import os
import random
import signal
import subprocess
import sys
import time

from .harness import DELAY, Fault
from .scimorg import TOKEN_ENV, apply, outbox, sync, write_org
from .test_scim_delivery import converged

ROUNDS = 20
STAFF = 59


def test_kill_9_during_delivery_twenty_times_then_sync_delivers_each_person_once(tmp_path, _scim_servers,
                                                                                  fault_proxy):
    from .conftest import _server

    server = _server(_scim_servers, "scim2-server", True)
    proxy = fault_proxy(server.base_url)
    proxy.add(Fault(path=r"/ServiceProviderConfig$", times=None, status=503))  # the first apply owes all
    org = write_org(tmp_path / "org", proxy.base_url, staff=STAFF, groups=True)
    state = f"sqlite:///{tmp_path}/state.db"
    assert apply(org, state, server.token).exit_code == 3
    proxy.clear()
    proxy.add(Fault(method=None, path=r"/(Users|Groups)", times=None, action=DELAY, delay=0.02))
    rng = random.Random(20261124)
    env = {**os.environ, TOKEN_ENV: server.token}
    killed = 0
    for _ in range(ROUNDS):
        proc = subprocess.Popen([sys.executable, "-m", "provisioner", "sync", str(org), "--state", state,
                                 "--lock-timeout", "30"], env=env, stdout=subprocess.DEVNULL,
                                stderr=subprocess.DEVNULL, stdin=subprocess.DEVNULL)
        time.sleep(rng.uniform(0.4, 1.4))
        if proc.poll() is None:
            os.kill(proc.pid, signal.SIGKILL)
            killed += 1
        proc.wait()
    assert killed >= ROUNDS // 2  # most rounds really were cut short
    proxy.clear()
    final = sync(org, state, server.token)
    assert final.exit_code == 0, final.output
    expected = {"dr-0": True, **{f"staff-{i}": True for i in range(STAFF)}}
    converged(server, state, expected)
    groups = server.groups()
    assert len(groups) == 1 and len(groups[0]["members"]) == len(expected)
    ops, _ = outbox(state)
    assert {op.status for op in ops} == {"delivered"}
