"""Plan with refresh: what each target needs so that it holds the config again, read from
the target first. Pure: the state (after the plan), the shadows, the target's listing and
what is already owed in; entries (plan data: target, key, action, reason) out, and at
apply the operations rebuilt from the state — never from the plan file's payloads.

Drift is brought back (changed → update, re-activated there → deactivate, deactivated
there → reactivate, vanished → recreate), objects never delivered are created, and with
the org's policy `unmanaged_accounts: deactivate`, accounts we do not own are deactivated.
"""

from __future__ import annotations

from typing import Iterable, Mapping

from ..model import Target
from ..state.backend import Resource
from ..targets.mapping import ARCHIVE_MARK, Index, OpSpec, project
from ..targets import scimjson as sj
from ..targets.operations import Shadow
from .drift import CHANGED, DEACTIVATED, REACTIVATED, UNMANAGED, VANISHED, compare

UNMANAGED_KEY = "unmanaged."  # `unmanaged.<remote id>`: an account we do not own (policy deactivation)
ACTIONS = {CHANGED: "update", REACTIVATED: "deactivate", DEACTIVATED: "reactivate", VANISHED: "recreate"}


def _when(modified: str | None) -> str:
    return f" on {modified[:10]} (lastModified {modified})" if modified else " (the service gives no lastModified)"


def entries(target: Target, resources: Mapping[str, Resource], shadows: Mapping[str, Shadow], users: list[dict],
            groups: list[dict], *, extension: bool, owed: Iterable[str] = (),
            unmanaged: str = "report") -> list[dict]:
    """The refresh of one target, in plan order (users, then groups; unmanaged last)."""
    owed = set(owed)
    report = compare(target, resources, shadows, users, groups, extension=extension, owed=owed)
    index = Index(resources)
    out: list[dict] = []
    by_id = {str(u.get("id")): u for u in users}
    for f in report.findings:
        if f.kind in ACTIONS:
            got = project(target, f.key, index)
            if f.kind == VANISHED and (got is None or not got[1].get("active", True)):
                continue  # nothing to restore: it was to be inactive anyway
            what = {CHANGED: f"changed at {target.id} ({', '.join(f.attributes)})",
                    REACTIVATED: f"re-activated at {target.id}", DEACTIVATED: f"deactivated at {target.id}",
                    VANISHED: f"vanished from {target.id} (deleted there?)"}[f.kind]
            out.append({"target": target.id, "key": f.key, "object": f.object, "action": ACTIONS[f.kind],
                        "remote_id": f.remote_id, "login": f.login, "version": _version(by_id.get(f.remote_id)),
                        "reason": what + ("" if f.kind == VANISHED else _when(f.modified))})
        elif f.kind == UNMANAGED and unmanaged == "deactivate" and f.object == "user":
            have = by_id.get(f.remote_id) or {}
            if have.get("active", True):
                out.append({"target": target.id, "key": UNMANAGED_KEY + f.remote_id, "object": "user",
                            "action": "deactivate", "remote_id": f.remote_id, "login": f.login,
                            "version": _version(have),
                            "reason": f"not created or adopted by the provisioner; the org's policy "
                                      f"unmanaged_accounts: deactivate{_when(f.modified)}"})
    owned = set(shadows)
    for key in sorted(resources):
        if key in owned or key in owed or ARCHIVE_MARK in key:
            continue
        got = project(target, key, index)
        if got is None or (got[0] == "user" and not got[1].get("active", True)):
            continue
        out.append({"target": target.id, "key": key, "object": got[0], "action": "create", "remote_id": None,
                    "login": got[1].get("user_name") or got[1].get("display_name"), "version": None,
                    "reason": f"no account at {target.id}: never delivered there (the target was added after, "
                              "or its operation was lost)"})
    order = {"user": 0, "group": 1}
    return sorted(out, key=lambda e: (e["key"].startswith(UNMANAGED_KEY), order[e["object"]], e["key"]))


def _version(have: dict | None) -> str | None:
    return sj.meta(have).get("version")


def unmanaged_guard(entries_: list[dict], users: list[dict], limit: float) -> str | None:
    """The mass-change guard for policy deactivations: a message when they exceed `limit`
    of the target's active accounts."""
    gone = sum(1 for e in entries_ if e["key"].startswith(UNMANAGED_KEY))
    active = sum(1 for u in users if u.get("active", True))
    if not gone or not active or gone / active <= limit:
        return None
    return (f"the refresh deactivates {gone} unmanaged accounts of {active} active at {entries_[0]['target']} "
            f"({gone / active:.0%}), more than the policy's mass_change_limit of {limit:.0%}")


def specs(refresh: list[dict], targets: Mapping[str, Target], resources: Mapping[str, Resource],
          shadows_of) -> list[OpSpec]:
    """The operations a plan's refresh entries owe, with payloads projected from the state
    as it is at apply (`resources`); `shadows_of(target)` gives what we own there."""
    index = Index(resources)
    out = []
    for e in refresh:
        target = targets.get(e["target"])
        if target is None:
            continue
        key = e["key"]
        if key.startswith(UNMANAGED_KEY):
            payload = {"external_id": "", "user_name": e.get("login") or "", "active": False,
                       "remote_id": e["remote_id"], "if_match": e.get("version")}
            out.append(OpSpec(target.id, key, "user", "deactivate", payload))
            continue
        got = project(target, key, index)
        if got is None:
            shadow = shadows_of(target.id).get(key)
            if shadow is None or e["action"] != "deactivate":
                continue
            got = ("user", {"external_id": shadow.external_id or key.split(".", 1)[1],
                            "user_name": shadow.user_name or "", "active": False})
        payload = dict(got[1])
        if e.get("version") and e["action"] != "create":
            payload["if_match"] = e["version"]  # what was read at refresh: a newer edit there is drift again
        out.append(OpSpec(target.id, key, got[0], e["action"], payload))
    return out
