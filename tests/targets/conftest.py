"""Fixtures of the target tests: real SCIM servers started once per session on 127.0.0.1
(scim2-server and scimmy, with and without our User extension), wiped before each test that
uses them, and fault proxies to put in front of them. The harness itself: harness/."""

from __future__ import annotations

from collections.abc import Callable, Iterator

import pytest

from .harness import LAUNCHERS, FaultProxy, ScimServer

SERVER_NAMES = list(LAUNCHERS)


@pytest.fixture(scope="session")
def _scim_servers() -> Iterator[dict[tuple[str, bool], ScimServer]]:
    """Servers started on first use, keyed by (name, with extension); stopped at the end."""
    servers: dict[tuple[str, bool], ScimServer] = {}
    yield servers
    for server in servers.values():
        server.stop()


# Above this many users a fresh server (≈1 s) is quicker than deleting them one by one.
RESTART_ABOVE = 300


def _server(servers: dict[tuple[str, bool], ScimServer], name: str, extension: bool) -> ScimServer:
    key = (name, extension)
    if key not in servers or not servers[key].process.alive():
        servers[key] = LAUNCHERS[name](extension=extension)
    elif servers[key].count("/Users") + servers[key].count("/Groups") > RESTART_ABOVE:
        servers[key] = servers[key].restart()
    server = servers[key]
    server.wipe()
    return server


@pytest.fixture(params=SERVER_NAMES)
def scim_server(request, _scim_servers) -> ScimServer:
    """Each SCIM server in turn, knowing our User extension, empty at the start of the test.
    `.base_url`, `.token`, `.name`, `.users()`, `.groups()`, `.wipe()`, `.client()`."""
    return _server(_scim_servers, request.param, True)


@pytest.fixture(params=SERVER_NAMES)
def scim_server_no_extension(request, _scim_servers) -> ScimServer:
    """Each SCIM server in turn serving the core User only (our extension unknown), empty."""
    return _server(_scim_servers, request.param, False)


@pytest.fixture
def fault_proxy() -> Iterator[Callable[..., FaultProxy]]:
    """A factory: `fault_proxy(upstream_url)` starts a proxy in front of `upstream_url`;
    every proxy it started stops after the test."""
    started: list[FaultProxy] = []

    def make(upstream_url: str, **options) -> FaultProxy:
        proxy = FaultProxy(upstream_url, **options).start()
        started.append(proxy)
        return proxy

    yield make
    for proxy in started:
        proxy.stop()
