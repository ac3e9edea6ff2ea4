"""SCIM 2.0 representations (RFC 7643) of the neutral target objects: the core User and
Group, our extension for the domain attributes, PATCH bodies, and the comparison of what
a server holds with what we want. Pure.
"""

from __future__ import annotations

CORE_USER = "urn:ietf:params:scim:schemas:core:2.0:User"
CORE_GROUP = "urn:ietf:params:scim:schemas:core:2.0:Group"
EXTENSION = "urn:ietf:params:scim:schemas:extension:provisioner:2.0:User"
PATCH_OP = "urn:ietf:params:scim:api:messages:2.0:PatchOp"
BULK_REQUEST = "urn:ietf:params:scim:api:messages:2.0:BulkRequest"
LIST_RESPONSE = "urn:ietf:params:scim:api:messages:2.0:ListResponse"

# neutral name -> extension attribute name (docs/targets.md lists them with their meaning)
EXTENSION_ATTRIBUTES = {
    "account_type": "accountType", "offices": "offices", "admin": "adminAuthorizations",
    "admin_offices": "adminOffices", "call_center": "callCenter", "work_queue_chat": "workQueueChat",
    "front_office_role": "frontOfficeRole", "npi": "npi", "specialty": "specialty", "user_type": "userType",
    "clinics": "clinics", "default_clinic": "defaultClinic", "permissions": "permissions",
    "emr_admin": "emrAdmin", "person": "person",
}
MULTI = {"offices", "admin", "admin_offices", "clinics", "permissions"}


def user_body(obj: dict, extension: bool) -> dict:
    """A SCIM User for a neutral user object; without `extension`, the core User only."""
    body = {
        "schemas": [CORE_USER] + ([EXTENSION] if extension else []),
        "externalId": obj["external_id"],
        "userName": obj["user_name"],
        "active": bool(obj.get("active", True)),
    }
    if obj.get("display_name"):
        body["displayName"] = obj["display_name"]
        body["name"] = {"formatted": obj["display_name"], "givenName": obj.get("given_name") or "",
                        "familyName": obj.get("family_name") or ""}
    if obj.get("email"):
        body["emails"] = [{"value": obj["email"], "type": "work", "primary": True}]
    if extension:
        ext = {scim: obj[k] for k, scim in EXTENSION_ATTRIBUTES.items() if _set(obj.get(k))}
        if ext:
            body[EXTENSION] = ext
    return body


def _set(value) -> bool:
    return value is not None and value != [] and value != ""


def cleared(obj: dict, extension: bool) -> list[str]:
    """SCIM paths of the extension attributes `obj` holds no value for: a PATCH removes
    them, so that a right taken away in the config is taken away at the target."""
    if not extension:
        return []
    return [f"{EXTENSION}:{scim}" for k, scim in EXTENSION_ATTRIBUTES.items() if k in obj and not _set(obj[k])]


def unheld(obj: dict) -> list[str]:
    """The extension attributes of `obj` a server without our extension cannot hold."""
    return sorted(EXTENSION_ATTRIBUTES[k] for k in obj if k in EXTENSION_ATTRIBUTES and _set(obj[k]))


def group_body(obj: dict, member_ids: list[str]) -> dict:
    return {"schemas": [CORE_GROUP], "externalId": obj["external_id"], "displayName": obj["display_name"],
            "members": [{"value": m} for m in member_ids]}


def patch_body(body: dict, remove: list[str] = ()) -> dict:
    """Replace every attribute we own, one `replace` with a path each (RFC 7644 §3.5.2.3):
    a path-less replace merges multi-valued attributes on some servers instead of replacing
    them, which would leave a removed member or e-mail in place."""
    ops = []
    for key, value in body.items():
        if key in ("schemas", "id", "meta"):
            continue
        if key == EXTENSION:
            ops += [{"op": "replace", "path": f"{EXTENSION}:{k}", "value": v} for k, v in value.items()]
        else:
            ops.append({"op": "replace", "path": key, "value": value})
    ops += [{"op": "remove", "path": path} for path in remove]
    return {"schemas": [PATCH_OP], "Operations": ops}


def _norm(value):
    if isinstance(value, list):
        return sorted((_norm(v) for v in value), key=repr)
    if isinstance(value, dict):
        return {k: _norm(v) for k, v in value.items()}
    if isinstance(value, str):
        return value
    return value


def differences(want: dict, have: dict) -> list[str]:
    """Attributes of `want` (a body we send) that the server's `have` does not match;
    attributes the server adds (id, meta, defaults) are not differences."""
    out = []
    for key, value in want.items():
        if key in ("schemas", "members"):
            continue
        got = have.get(key)
        if isinstance(value, dict) and key != "name":
            for sub, v in value.items():
                if _norm(v) != _norm((got or {}).get(sub)):
                    out.append(f"{key.rsplit(':', 1)[-1]}.{sub}" if ":" in key else f"{key}.{sub}")
        elif key == "emails":
            mine = {str(e.get("value", "")).lower() for e in value}
            theirs = {str(e.get("value", "")).lower() for e in (got or [])}
            if mine != theirs:
                out.append("emails")
        elif key == "name":
            for sub in ("givenName", "familyName"):
                if (value.get(sub) or "") != ((got or {}).get(sub) or ""):
                    out.append(f"name.{sub}")
        elif key == "userName":
            if str(value).lower() != str(got or "").lower():
                out.append(key)
        elif _norm(value) != _norm(got):
            out.append(key)
    return out


def member_ids(group: dict) -> set[str]:
    return {str(m.get("value")) for m in group.get("members") or ()}


# Attributes a Target may leave to the service (`scim.merge`): sent when the account is
# created, never replaced afterwards, never drift. Identity and lifecycle stay ours.
MERGEABLE = ("displayName", "name", "emails") + tuple(v for v in EXTENSION_ATTRIBUTES.values() if v != "person")


def authoritative(body: dict, merged) -> dict:
    """`body` without the attributes the target keeps (`merged`, SCIM names): what an update
    replaces and what drift compares."""
    merged = set(merged or ())
    if not merged:
        return body
    out = {k: v for k, v in body.items() if k not in merged}
    if EXTENSION in out:
        ext = {k: v for k, v in out[EXTENSION].items() if k not in merged}
        if ext:
            out[EXTENSION] = ext
        else:
            del out[EXTENSION]
    return out


def cleared_held(obj: dict, have: dict, merged=()) -> list[str]:
    """Extension attributes the config cleared that the service's `have` still holds."""
    ext = have.get(EXTENSION) or {}
    return [scim for k, scim in EXTENSION_ATTRIBUTES.items()
            if k in obj and not _set(obj[k]) and scim not in set(merged or ()) and _set(ext.get(scim))]


def meta(resource) -> dict:
    """A resource's `meta` object, {} when a service sends none or something else there."""
    found = resource.get("meta") if isinstance(resource, dict) else None
    return found if isinstance(found, dict) else {}
