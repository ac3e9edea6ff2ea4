"""A running SCIM test server as the tests see it: its base URL, bearer token and name, plus
direct access (never through a fault proxy) to list and wipe what it holds.
Launching is the launchers' business (scim2server.py, scimmyserver.py)."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

import httpx

from .process import ServerProcess

EXTENSION_URN = "urn:ietf:params:scim:schemas:extension:provisioner:2.0:User"
USER_URN = "urn:ietf:params:scim:schemas:core:2.0:User"
GROUP_URN = "urn:ietf:params:scim:schemas:core:2.0:Group"
PATCH_URN = "urn:ietf:params:scim:api:messages:2.0:PatchOp"
SCIM_JSON = "application/scim+json"
TEST_TOKEN = "provisioner-test-token"  # a fixed, public test credential for local servers only
PAGE = 200  # both servers accept it (scim2-server caps pages at 1000; scimmy's default is 20)


@dataclass
class ScimServer:
    """One SCIM server process. `base_url` has no trailing slash (…/v2 or …/scim/v2)."""

    name: str
    base_url: str
    token: str
    extension: bool
    process: ServerProcess
    restart_with: Callable[[], "ScimServer"] | None = field(default=None, repr=False)
    _client: httpx.Client | None = field(default=None, repr=False)

    # --- direct access -------------------------------------------------------------------
    def client(self) -> httpx.Client:
        """A shared client straight to the server, bearer token set."""
        if self._client is None:
            self._client = httpx.Client(
                base_url=self.base_url, timeout=10.0,
                headers={"Authorization": f"Bearer {self.token}", "Content-Type": SCIM_JSON,
                         "Accept": SCIM_JSON})
        return self._client

    def _list(self, endpoint: str, params: dict[str, Any] | None = None) -> Iterator[dict]:
        start = 1
        while True:
            answer = self.client().get(endpoint, params={**(params or {}), "startIndex": start, "count": PAGE})
            answer.raise_for_status()
            page = answer.json()
            resources = page.get("Resources", [])
            yield from resources
            start += len(resources)
            if not resources or start > int(page.get("totalResults", 0)):
                return

    def users(self, filter: str | None = None) -> list[dict]:
        """Every user the server holds (paging through), optionally filtered."""
        return list(self._list("/Users", {"filter": filter} if filter else None))

    def groups(self, filter: str | None = None) -> list[dict]:
        """Every group the server holds (paging through), optionally filtered."""
        return list(self._list("/Groups", {"filter": filter} if filter else None))

    def count(self, endpoint: str = "/Users") -> int:
        """How many resources the server holds (a `count=0` query: cheap on both servers)."""
        answer = self.client().get(endpoint, params={"count": 0})
        answer.raise_for_status()
        return int(answer.json()["totalResults"])

    def wipe(self) -> None:
        """Delete every group, then every user, directly at the server."""
        for endpoint, listing in (("/Groups", self.groups), ("/Users", self.users)):
            for resource in listing():
                answer = self.client().delete(f"{endpoint}/{resource['id']}")
                if answer.status_code not in (204, 404):
                    answer.raise_for_status()

    # --- lifecycle -----------------------------------------------------------------------
    def stop(self) -> None:
        if self._client is not None:
            self._client.close()
            self._client = None
        self.process.stop()

    def restart(self) -> "ScimServer":
        """A fresh, empty server of the same kind (a new port); this one is stopped."""
        if self.restart_with is None:
            raise RuntimeError(f"{self.name} cannot be restarted")
        self.stop()
        return self.restart_with()
