"""Changes made at a SCIM server behind the provisioner's back, straight to the server (never
through a fault proxy): a concurrent edit (the provisioner's next If-Match gets 412) and a
user created by someone else (the provisioner's POST gets 409)."""

from __future__ import annotations

from typing import Any

from .servers import PATCH_URN, USER_URN, ScimServer


def direct_patch(server: ScimServer, user_id: str, ops: list[dict[str, Any]], *,
                 endpoint: str = "/Users") -> dict:
    """Apply PATCH operations to one resource; return it as the server now holds it (its
    meta.version has moved on). scim2-server answers PATCH with 204 and scimmy with 200 and
    the resource, so the resource is read back either way."""
    answer = server.client().patch(f"{endpoint}/{user_id}", json={"schemas": [PATCH_URN], "Operations": ops})
    answer.raise_for_status()
    again = server.client().get(f"{endpoint}/{user_id}")
    again.raise_for_status()
    return again.json()


def direct_create(server: ScimServer, user_json: dict[str, Any], *, endpoint: str = "/Users") -> dict:
    """Create a resource (schemas default to the core User); return it as created."""
    body = {"schemas": [USER_URN], **user_json}
    answer = server.client().post(endpoint, json=body)
    answer.raise_for_status()
    return answer.json()
