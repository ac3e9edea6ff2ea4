"""The server's own best create rate, measured with a plain client loop (POST /Users with
httpx, sequential or a few threads), so that the provisioner's delivery rate can be put
beside it. Pure measurement: it raises if any create is not answered 201."""

from __future__ import annotations

import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

import httpx

from .servers import EXTENSION_URN, SCIM_JSON, USER_URN

IN_PROCESS_URL = "http://in-process/v2"


def inprocess_create_rate(n: int, *, extension: bool = True) -> "CreateRate":
    """scim2-server's own create rate: the loop of `baseline_create_rate` against a fresh
    scim2-server application in this process (no sockets, no HTTP parsing), sequential."""
    from .scim2server import wsgi_app
    from .servers import TEST_TOKEN
    transport = httpx.WSGITransport(app=wsgi_app(extension=extension))
    return baseline_create_rate(IN_PROCESS_URL, TEST_TOKEN, n, 1, extension=extension, transport=transport)


@dataclass(frozen=True)
class CreateRate:
    base_url: str
    users: int
    threads: int
    seconds: float

    @property
    def per_second(self) -> float:
        return self.users / self.seconds if self.seconds else float("inf")


def baseline_user(run: str, i: int, *, extension: bool = True) -> dict:
    """A representative user, unique per (run, i); with our extension attributes if asked."""
    user = {
        "schemas": [USER_URN, *([EXTENSION_URN] if extension else [])],
        "userName": f"baseline-{run}-{i}@example.org",
        "externalId": f"baseline-{run}-{i}",
        "name": {"givenName": "Base", "familyName": f"Line {i}"},
        "emails": [{"value": f"baseline-{run}-{i}@example.org", "type": "work", "primary": True}],
        "active": True,
    }
    if extension:
        user[EXTENSION_URN] = {"accountType": "physician_staff", "offices": ["eastside-rehab"],
                               "workQueueChat": True, "userType": "PT", "clinics": ["eastside-rehab"],
                               "defaultClinic": "eastside-rehab", "permissions": ["view_patients"]}
    return user


def baseline_create_rate(base_url: str, token: str, n: int, threads: int = 1, *,
                         extension: bool = True, timeout: float = 30.0,
                         transport: httpx.BaseTransport | None = None) -> CreateRate:
    """POST `n` new users to `base_url`/Users from `threads` threads (each with its own
    keep-alive httpx client); return the wall time and rate. With `transport` (e.g. an
    httpx.WSGITransport around `scim2server.wsgi_app()`) the loop runs in process, no HTTP."""
    run = uuid.uuid4().hex[:8]
    headers = {"Authorization": f"Bearer {token}", "Content-Type": SCIM_JSON, "Accept": SCIM_JSON}

    def create(indexes: range) -> None:
        with httpx.Client(base_url=base_url, headers=headers, timeout=timeout, transport=transport) as client:
            for i in indexes:
                answer = client.post("/Users", json=baseline_user(run, i, extension=extension))
                if answer.status_code != 201:
                    raise RuntimeError(f"POST /Users answered {answer.status_code}: {answer.text[:300]}")

    started = time.perf_counter()
    if threads <= 1:
        create(range(n))
    else:
        with ThreadPoolExecutor(threads) as pool:
            for done in [pool.submit(create, range(t, n, threads)) for t in range(threads)]:
                done.result()
    return CreateRate(base_url, n, max(threads, 1), time.perf_counter() - started)
