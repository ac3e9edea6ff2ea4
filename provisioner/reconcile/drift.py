"""Drift: what a target holds compared with what the state says it was given. Pure:
the state's resources, the target's shadows (what we own) and its listing in, findings out.

Each owned account is compared with the object the state projects for it (mapping.project
→ scimjson.user_body), leaving out the attributes the target keeps (`scim.merge`); an
account we do not own is reported, never compared; an owned account missing is vanished.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Iterable, Mapping

from ..model import Target
from ..state.backend import Resource
from ..targets import scimjson as sj
from ..targets.mapping import Index, project
from ..targets.operations import Shadow

# kinds, in the order reports list them
CHANGED, REACTIVATED, DEACTIVATED, VANISHED, UNMANAGED = (
    "changed", "reactivated", "deactivated", "vanished", "unmanaged")
KINDS = (CHANGED, REACTIVATED, DEACTIVATED, VANISHED, UNMANAGED)


@dataclass(frozen=True)
class Finding:
    """One difference at one target. `key` is our object (`person.maria`), None for an
    account we do not own; `attributes` are SCIM names; `modified` is the service's
    meta.lastModified when it gave one."""

    target: str
    kind: str
    key: str | None
    remote_id: str
    login: str | None
    object: str = "user"
    attributes: tuple[str, ...] = ()
    modified: str | None = None

    @property
    def message(self) -> str:
        who = self.key or f"account {self.remote_id}"
        login = f" ({self.login})" if self.login else ""
        when = f", last modified there {self.modified}" if self.modified else ""
        if self.kind == CHANGED:
            return f"{who}{login}: changed at {self.target}: {', '.join(self.attributes)}{when}"
        if self.kind == REACTIVATED:
            return f"{who}{login}: re-activated at {self.target}, but deactivated in the state{when}"
        if self.kind == DEACTIVATED:
            return f"{who}{login}: deactivated at {self.target}, but active in the state{when}"
        if self.kind == VANISHED:
            return f"{who}{login}: vanished from {self.target} (its {self.object} {self.remote_id} is gone)"
        return (f"unmanaged {self.object} {self.remote_id}{login} at {self.target}: not created or adopted by "
                "the provisioner; left untouched")


@dataclass
class TargetDrift:
    """Drift at one target, or the error that kept it from being read."""

    target: str
    findings: list[Finding] = field(default_factory=list)
    error: str | None = None
    checked: int = 0      # owned objects compared
    skipped: int = 0      # owned objects with an operation still owed (not drift: not delivered yet)
    pages: int = 0
    seconds: float = 0.0


def _modified(r: dict) -> str | None:
    return sj.meta(r).get("lastModified")


def _login(r: dict) -> str | None:
    return r.get("userName") or r.get("displayName")


def user_drift(target: Target, key: str, index: Index, have: dict, extension: bool) -> Finding | None:
    """How the owned account `have` differs from what the state projects for `key`."""
    merged = tuple(target.settings.get("merge") or ())
    got = project(target, key, index)
    if got is None:  # no longer in the state for this target: all that is owed is that it is inactive
        obj, want = None, {"active": False}
    else:
        obj = got[1]
        want = sj.authoritative(sj.user_body(obj, extension), merged)
    rid, login, when = str(have.get("id")), _login(have), _modified(have)
    active = bool(want.get("active", True))
    if bool(have.get("active", True)) != active:
        return Finding(target.id, REACTIVATED if not active else DEACTIVATED, key, rid, login, "user", ("active",), when)
    if obj is None:
        return None
    # extension attributes by their own name (`offices`), core ones as SCIM writes them
    diff = [d.removeprefix("User.") for d in sj.differences(want, have) if d != "active"]
    if extension:
        diff += [f"{a}" for a in sj.cleared_held(obj, have, merged)]
    if diff:
        return Finding(target.id, CHANGED, key, rid, login, "user", tuple(sorted(set(diff))), when)
    return None


def group_drift(target: Target, key: str, index: Index, have: dict, shadows: Mapping[str, Shadow]) -> Finding | None:
    got = project(target, key, index)
    if got is None:
        return None
    obj = got[1]
    diff = []
    if (have.get("displayName") or "") != obj.get("display_name"):
        diff.append("displayName")
    want_members = {shadows[m].remote_id for m in obj.get("members") or () if m in shadows}
    if sj.member_ids(have) != want_members:
        diff.append("members")
    if diff:
        return Finding(target.id, CHANGED, key, str(have.get("id")), _login(have), "group", tuple(diff),
                       _modified(have))
    return None


def compare(target: Target, resources: Mapping[str, Resource], shadows: Mapping[str, Shadow],
            users: Iterable[dict], groups: Iterable[dict] = (), *, extension: bool,
            owed: Iterable[str] = ()) -> TargetDrift:
    """Drift at `target`: its `users` and `groups` as listed, against the state's
    `resources` and the `shadows` of what we own. Keys in `owed` (an operation still
    pending) are not compared: the target has not been sent them yet."""
    index = Index(resources)
    owed = set(owed)
    report = TargetDrift(target.id)
    for endpoint, listing in (("user", list(users)), ("group", list(groups))):
        by_id = {str(r.get("id")): r for r in listing}
        mine = {s.remote_id: s for s in shadows.values()
                if (s.key.split(".", 1)[0] in ("office", "group")) == (endpoint == "group")}
        for remote_id, shadow in sorted(mine.items(), key=lambda kv: kv[1].key):
            if shadow.key in owed:
                report.skipped += 1
                continue
            have = by_id.get(remote_id)
            if have is None:
                report.findings.append(Finding(target.id, VANISHED, shadow.key, remote_id, shadow.user_name,
                                               endpoint))
                continue
            report.checked += 1
            found = (user_drift(target, shadow.key, index, have, extension) if endpoint == "user"
                     else group_drift(target, shadow.key, index, have, shadows))
            if found:
                report.findings.append(found)
        for remote_id, r in sorted(by_id.items(), key=lambda kv: (str(_login(kv[1]) or "").lower(), kv[0])):
            if remote_id not in mine:
                report.findings.append(Finding(target.id, UNMANAGED, None, remote_id, _login(r), endpoint,
                                               modified=_modified(r)))
    report.findings.sort(key=lambda f: (KINDS.index(f.kind), f.object != "user", f.key or "",
                                        str(f.login or "").lower(), f.remote_id))
    return report
