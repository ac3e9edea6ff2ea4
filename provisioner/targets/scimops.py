"""Carrying out one outbox operation at a SCIM service, so that doing it twice does no harm.

Create: find the account first (our externalId, then the login); one that is ours is
adopted, one held by somebody else is a conflict and is never overwritten; a 409 on
POST is looked up the same way. Update, deactivate, retire: PATCH with If-Match on the
version we last saw; a 412 is re-read, and a difference we did not make is drift.
"""

from __future__ import annotations

from typing import Callable
from urllib.parse import quote

from . import scimjson as sj
from .operations import Operation, OpResult, OpStatus, Shadow
from .retry import retryable
from .scim import RequestFailed, ScimService, result, shadow_of

GIVE_UP_RUNS = 3
UNMANAGED_KEY = "unmanaged."  # an account we do not own, deactivated by the org's policy (reconcile/refresh.py)


class Directory:
    """What the service holds, looked up by externalId and login: one listing when many
    creates are due (cheaper than a search each), else a search per operation."""

    def __init__(self, service: ScimService, endpoint: str, listing: list[dict] | None = None) -> None:
        self.service, self.endpoint = service, endpoint
        self.listed = listing is not None
        self.by_external = {str(r.get("externalId")): r for r in listing or () if r.get("externalId")}
        self.by_name = {str(r.get("userName") or r.get("displayName") or "").lower(): r for r in listing or ()}
        self.delivered: Callable[[str], dict | None] = lambda key: None  # what we last wrote for a key
        # what we may have written for a key without recording it (a crash after the request)
        self.unrecorded: Callable[[str], list[dict]] = lambda key: []


    def lookup(self, external_id: str, name: str | None) -> tuple[dict | None, dict | None]:
        """(the resource with our externalId, the resource holding the login/name)."""
        attr = "userName" if self.endpoint == "Users" else "displayName"
        if self.listed:
            return self.by_external.get(external_id), self.by_name.get(str(name or "").lower())
        ours = self.service.find(self.endpoint, "externalId", external_id)
        holder = self.service.find(self.endpoint, attr, name) if name and not ours else []
        return (ours[0] if ours else None), (holder[0] if holder else None)


def merged_attributes(target) -> tuple[str, ...]:
    """The attributes this target keeps for itself (`scim.merge`): updates leave them alone."""
    return tuple(target.settings.get("merge") or ())


def _holder(r: dict) -> str:
    ext = r.get("externalId")
    return f"account id {r.get('id')}" + (f" (externalId {ext})" if ext else " (no externalId: not created by us)")


def deliver_user(service: ScimService, op: Operation, shadows: dict[str, Shadow], directory: Directory) -> OpResult:
    if op.key.startswith(UNMANAGED_KEY):
        return _deactivate_unmanaged(service, op)
    body = sj.user_body(dict(op.payload), service.caps.extension)
    tid = service.target.id
    shadow = shadows.get(op.key) or (shadows.get(op.takes_over) if op.takes_over else None)
    if op.action == "recreate":  # it vanished at the target (a refresh found it gone): create it again
        shadow = None
    try:
        if shadow is None:
            external = (op.takes_over.split(".", 1)[1] if op.takes_over else body["externalId"])
            ours, holder = directory.lookup(external, None if op.takes_over else body["userName"])
            if ours is not None and not op.takes_over and _not_its_login(ours, body):
                return _not_ours(op, tid, ours, body)
            if ours is not None:
                shadow = shadow_of(tid, op.key, ours, {})
            elif holder is not None:
                return result(op, OpStatus.CONFLICT, 1, f"the login {body['userName']} is held at {tid} by "
                              f"{_holder(holder)}; it is not overwritten")
            elif op.action in ("deactivate", "retire"):
                return result(op, OpStatus.DELIVERED, 1, None, note="no account at the target to deactivate")
            else:
                return _create(service, op, body, directory)
        return _patch(service, op, body, shadow, directory)
    except RequestFailed as exc:
        return failure(service, op, exc)


def _not_its_login(account: dict, body: dict) -> bool:
    """An account found by our externalId alone, under another login: the externalId is a
    bare person id, which another org (or a hand-made account) on the same service may use
    too. It is not taken as ours: that would hand one person's account to another."""
    return str(account.get("userName") or "").lower() != str(body.get("userName") or "").lower()


def _not_ours(op: Operation, tid: str, account: dict, body: dict) -> OpResult:
    return result(op, OpStatus.CONFLICT, 1, f"{tid} has {_holder(account)} under the login "
                  f"{account.get('userName')}, not {body.get('userName')}: an account with this externalId that "
                  "this state did not create; it is not taken over (adopt it on purpose, or fix the config)")


def _create(service: ScimService, op: Operation, body: dict, directory: Directory) -> OpResult:
    tid = service.target.id
    try:
        _, reply, hdrs = service.request("POST", "/Users", body)
        if not isinstance(reply, dict) or not reply.get("id"):  # nothing to address the account by later
            return result(op, OpStatus.FAILED, 1, f"POST /Users at {tid} answered without the new account's id; "
                          "it is not recorded as delivered: check the service, then `provisioner sync --retry`")
        return result(op, OpStatus.DELIVERED, 1, None, shadow_of(tid, op.key, reply, hdrs))
    except RequestFailed as exc:
        if exc.status != 409:
            raise
    ours = service.find("Users", "externalId", body["externalId"])  # created behind our back, or by us earlier
    if ours and _not_its_login(ours[0], body):
        return _not_ours(op, tid, ours[0], body)
    if ours:
        return _patch(service, op, body, shadow_of(tid, op.key, ours[0], {}), directory)
    holders = service.find("Users", "userName", body["userName"])
    who = _holder(holders[0]) if holders else "an account the service did not name"
    return result(op, OpStatus.CONFLICT, 1, f"the login {body['userName']} is held at {tid} by {who}; "
                  "it is not overwritten")


def _patch(service: ScimService, op: Operation, body: dict, shadow: Shadow, directory: Directory | None = None,
           again: bool = True) -> OpResult:
    tid = service.target.id
    path = f"/Users/{quote(shadow.remote_id, safe='')}"
    version = op.payload.get("if_match") or shadow.version  # a refresh names the version it read
    headers = {"If-Match": str(version)} if service.caps.etag and version else None
    try:
        merged = merged_attributes(service.target)
        remove = [p for p in sj.cleared(dict(op.payload), service.caps.extension)
                  if p.rsplit(":", 1)[-1] not in merged]
        _, reply, hdrs = service.request("PATCH", path, sj.patch_body(sj.authoritative(body, merged), remove),
                                         headers=headers)
    except RequestFailed as exc:
        if exc.status == 404:
            if op.action in ("deactivate", "retire"):
                return result(op, OpStatus.DELIVERED, 1, None, Shadow(tid, op.key, shadow.remote_id),
                              note="the account no longer exists at the target")
            return result(op, OpStatus.FAILED, exc.attempts, f"{exc}: the account {shadow.remote_id} vanished "
                          f"from {tid} (deleted there?)")
        if exc.status != 412:
            raise
        have, version = service.get("Users", shadow.remote_id)
        diff = sj.differences(sj.authoritative(body, merged_attributes(service.target)), have)
        fresh = shadow_of(tid, op.key, have, {"etag": version} if version else {})
        if not diff:  # it already holds what we want (our own earlier write, say)
            return result(op, OpStatus.DELIVERED, 2, None, fresh)
        merged = merged_attributes(service.target)
        if directory is not None and again and any(
                not sj.differences(sj.authoritative(sj.user_body(mine, service.caps.extension), merged), have)
                for mine in directory.unrecorded(op.key)):
            # the target holds one of our own writes whose result a crash kept from the state
            return _patch(service, op, body, fresh, directory, again=False)
        last = directory.delivered(op.key) if directory is not None and again else None
        if last is not None and not sj.differences(sj.authoritative(sj.user_body(last, service.caps.extension),
                                                                    merged_attributes(service.target)), have):
            # only what the target keeps (merged or never ours) changed there: our update goes ahead
            return _patch(service, op, body, fresh, directory, again=False)
        return result(op, OpStatus.DRIFT, 2, f"changed at {tid} since we last wrote it ({', '.join(diff)}); "
                      "not overwritten: review the change there, then `provisioner sync --retry`",
                      Shadow(tid, op.key, shadow.remote_id, shadow.version, shadow.external_id, shadow.user_name),
                      differences=diff)
    if not reply:  # 204: read the new version back
        reply, version = service.get("Users", shadow.remote_id)
        hdrs = {"etag": version} if version else {}
    return result(op, OpStatus.DELIVERED, 1, None, shadow_of(tid, op.key, reply, hdrs))


def _deactivate_unmanaged(service: ScimService, op: Operation) -> OpResult:
    """The org's policy deactivates an account we do not own: `active: false` and nothing
    else (never DELETE, LIFE001); it stays unowned. A version changed since the refresh
    read it is left alone (drift)."""
    rid = str(op.payload.get("remote_id"))
    version = op.payload.get("if_match")
    headers = {"If-Match": str(version)} if service.caps.etag and version else None
    body = {"schemas": [sj.PATCH_OP], "Operations": [{"op": "replace", "path": "active", "value": False}]}
    try:
        service.request("PATCH", f"/Users/{quote(rid, safe='')}", body, headers=headers)
    except RequestFailed as exc:
        if exc.status == 404:
            return result(op, OpStatus.DELIVERED, 1, None, note="the account no longer exists at the target")
        if exc.status == 412:
            return result(op, OpStatus.DRIFT, 1, f"the unmanaged account {rid} changed at {service.target.id} since "
                          "the refresh read it; not deactivated: plan --refresh again")
        return failure(service, op, exc)
    return result(op, OpStatus.DELIVERED, 1, None, note=f"unmanaged account {rid} deactivated by policy")


def deliver_group(service: ScimService, op: Operation, shadows: dict[str, Shadow],
                  waiting: set[str]) -> OpResult | None:
    """None when a member is not at the target yet (its own operation is still owed): wait."""
    members = list(op.payload.get("members") or ())
    blocked = [m for m in members if m not in shadows and m in waiting]
    if blocked:
        return None
    ids = sorted(shadows[m].remote_id for m in members if m in shadows)
    body = sj.group_body(dict(op.payload), ids)
    tid = service.target.id
    try:
        shadow = None if op.action == "recreate" else shadows.get(op.key)  # vanished there: create it again
        if shadow is None:
            found = service.find("Groups", "externalId", body["externalId"])
            ours = found[0] if found else None
            if ours is None:
                _, reply, hdrs = service.request("POST", "/Groups", body)
                return result(op, OpStatus.DELIVERED, 1, None, shadow_of(tid, op.key, reply, hdrs))
            shadow = shadow_of(tid, op.key, ours, {})
        path = f"/Groups/{quote(shadow.remote_id, safe='')}"
        _, reply, hdrs = service.request("PATCH", path, sj.patch_body(body))
        if not reply:
            reply, version = service.get("Groups", shadow.remote_id)
            hdrs = {"etag": version} if version else {}
        return result(op, OpStatus.DELIVERED, 1, None, shadow_of(tid, op.key, reply, hdrs))
    except RequestFailed as exc:
        return failure(service, op, exc)


def failure(service: ScimService, op: Operation, exc: RequestFailed) -> OpResult:
    """A 4xx is final; a transient failure (5xx, 429, timeout, reset) leaves the operation
    pending for the next apply or sync, until it has used GIVE_UP_RUNS runs' attempts."""
    total = op.attempts + exc.attempts
    final = not retryable(exc.status) or total >= service.policy.max_attempts * GIVE_UP_RUNS
    return result(op, OpStatus.FAILED if final else OpStatus.PENDING, exc.attempts, str(exc))


def bulk_creates(service: ScimService, ops: list[Operation], directory: Directory) -> list[tuple[Operation, OpResult]]:
    """Create many users in one SCIM Bulk request (RFC 7644 §3.7). Only users the directory
    listing shows absent are sent; an operation the bulk answers with 409 or that it does
    not answer goes the single way (`deliver_user`), which looks the account up first."""
    tid = service.target.id
    bodies = {op.id: sj.user_body(dict(op.payload), service.caps.extension) for op in ops}
    request = {"schemas": [sj.BULK_REQUEST], "failOnErrors": len(ops) + 1, "Operations": [
        {"method": "POST", "path": "/Users", "bulkId": op.id, "data": bodies[op.id]} for op in ops]}
    try:
        _, reply, _ = service.request("POST", "/Bulk", request)
    except RequestFailed as exc:
        if exc.status is not None and not retryable(exc.status):  # Bulk refused: one by one
            return [(op, deliver_user(service, op, {}, directory)) for op in ops]
        return [(op, failure(service, op, exc)) for op in ops]
    answers = {str(a.get("bulkId")): a for a in reply.get("Operations") or () if isinstance(a, dict)}
    out = []
    for op in ops:
        a = answers.get(op.id)
        status = int(str(a.get("status", "0"))[:3] or 0) if a else 0
        if a and status in (200, 201) and a.get("location"):
            remote = str(a["location"]).rstrip("/").rsplit("/", 1)[-1]
            body = bodies[op.id]
            out.append((op, result(op, OpStatus.DELIVERED, 1, None,
                                   Shadow(tid, op.key, remote, a.get("version"), body["externalId"], body["userName"]))))
        elif a and not retryable(status) and status != 409:
            detail = (a.get("response") or {}).get("detail") if isinstance(a.get("response"), dict) else None
            out.append((op, result(op, OpStatus.FAILED, 1, f"bulk POST /Users: HTTP {status}"
                                   + (f": {str(detail)[:200]}" if detail else ""))))
        else:
            out.append((op, deliver_user(service, op, {}, directory)))
    return out
