"""Adopting accounts that already exist at a target: the matched ones are linked (their
id and version recorded as our shadows) without sending anything; an operation the state
owes a linked account is settled when the account already holds what it carries, and
otherwise stays owed as an update of that account, never a second account."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Mapping

from ..model import Target
from ..state.backend import Resource
from ..targets import scimjson as sj
from ..targets.mapping import ARCHIVE_MARK, Index, OpSpec, project
from ..targets.operations import OpResult, OpStatus, Shadow
from .match import MATCHED, Matching, classify


def expected_users(target: Target, resources: Mapping[str, Resource]) -> dict[str, dict]:
    """key → the neutral user object `resources` project for `target` (retired ones left out)."""
    index = Index(resources)
    out = {}
    for key in sorted(resources):
        if key.split(".", 1)[0] in ("person", "profile") and ARCHIVE_MARK not in key:
            got = project(target, key, index)
            if got is not None and got[0] == "user":
                out[key] = got[1]
    return out


@dataclass
class Adoption:
    target: str
    matching: Matching
    links: list[Shadow] = field(default_factory=list)
    settled: list[OpResult] = field(default_factory=list)   # owed operations the account already satisfies
    updates: list[str] = field(default_factory=list)        # owed operations left as an update of the account
    owed: list[OpSpec] = field(default_factory=list)        # new operations: linked accounts that differ


def plan_adoption(target: Target, resources: Mapping[str, Resource], users: list[dict],
                  shadows: Mapping[str, Shadow], pending: list, *, extension: bool) -> Adoption:
    """What adopting `users` would do, given the state's `resources`, `shadows` and the
    `pending` operations of this target. Pure: the caller records `links` and `settled`."""
    expected = expected_users(target, resources)
    matching = classify(expected, users, shadows)
    by_id = {str(u.get("id")): u for u in users}
    out = Adoption(target.id, matching)
    owner = {key: s.remote_id for key, s in shadows.items()}
    for s in matching.of(MATCHED):
        out.links.append(Shadow(target.id, s.key, s.remote_id, s.version, s.external_id, s.login))
        owner[s.key] = s.remote_id
    merged = tuple(target.settings.get("merge") or ())
    for op in pending:
        if op.object != "user" or op.key not in owner or op.takes_over:
            continue
        have = by_id.get(owner[op.key])
        want = sj.authoritative(sj.user_body(dict(op.payload), extension), merged)
        if have is not None and not sj.differences(want, have) and not sj.cleared_held(dict(op.payload), have, merged):
            shadow = Shadow(target.id, op.key, str(have["id"]), sj.meta(have).get("version"),
                            have.get("externalId"), have.get("userName"))
            out.settled.append(OpResult(op.id, str(OpStatus.DELIVERED), op.attempts, None, shadow,
                                        detail={"note": "adopted: the account already held it"}))
        else:
            out.updates.append(op.id)
    pending_keys = {op.key for op in pending}
    expected = expected_users(target, resources)
    for link in out.links:  # a linked account that differs and is owed nothing: owe it an update now
        have, obj = by_id.get(link.remote_id), expected.get(link.key)
        if have is None or obj is None or link.key in pending_keys:
            continue
        spec = bring_back(target, link.key, obj, have, extension)
        if spec is not None:
            out.owed.append(spec)
    return out


def bring_back(target: Target, key: str, obj: dict, have: dict, extension: bool) -> OpSpec | None:
    """The operation that makes the account `have` what the state projects (`obj`), or None."""
    merged = tuple(target.settings.get("merge") or ())
    want = sj.authoritative(sj.user_body(obj, extension), merged)
    if not sj.differences(want, have) and not sj.cleared_held(obj, have, merged):
        return None
    active = bool(obj.get("active", True))
    action = ("update" if bool(have.get("active", True)) == active else "reactivate" if active else "deactivate")
    return OpSpec(target.id, key, "user", action, obj)
