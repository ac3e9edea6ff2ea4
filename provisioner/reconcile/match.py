"""Classifying the accounts a target holds against the people the config describes, the
way midPoint classifies what it finds: linked (ours already), matched (one configured
person, by externalId, then by normalised e-mail), disputed (two candidates, or two
accounts for one person), unmatched (no person); people with no account are missing. Pure.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Iterable, Mapping

from ..identifiers import normal_email as _normal
from ..targets import scimjson as sj
from ..targets.operations import Shadow

LINKED, MATCHED, DISPUTED, UNMATCHED = "linked", "matched", "disputed", "unmatched"


def normal_email(value) -> str:
    """An address as the config's are compared (identifiers.normal_email: NFKC, case folded,
    needless quotes and a root dot dropped); "" for none."""
    return _normal(str(value or "").strip())


def emails_of(user: dict) -> set[str]:
    found = {normal_email(user.get("userName"))}
    found |= {normal_email(e.get("value")) for e in user.get("emails") or () if isinstance(e, dict)}
    return {e for e in found if "@" in e}


@dataclass(frozen=True)
class Situation:
    """One account at the target and what it is to the config."""

    kind: str
    remote_id: str
    login: str | None
    key: str | None = None                 # the configured object it is (linked, matched)
    candidates: tuple[str, ...] = ()       # what it could be (disputed)
    by: str = ""                           # externalId | e-mail | shadow
    version: str | None = None
    external_id: str | None = None
    active: bool = True
    why: str = ""

    @property
    def message(self) -> str:
        login = self.login or self.remote_id
        if self.kind == LINKED:
            return f"{login}: linked to {self.key} (created or adopted earlier)"
        if self.kind == MATCHED:
            return f"{login}: matches {self.key} by {self.by}"
        if self.kind == DISPUTED:
            return f"{login}: disputed: {self.why}"
        return f"{login}: no configured person"


@dataclass
class Matching:
    accounts: list[Situation] = field(default_factory=list)
    missing: list[str] = field(default_factory=list)  # configured keys with no account at the target

    def of(self, kind: str) -> list[Situation]:
        return [s for s in self.accounts if s.kind == kind]


def classify(expected: Mapping[str, dict], users: Iterable[dict], shadows: Mapping[str, Shadow]) -> Matching:
    """`expected`: key → the neutral user object the config projects for the target;
    `users`: the target's listing; `shadows`: what the state already owns there."""
    linked = {s.remote_id: key for key, s in shadows.items()}
    by_external = {str(obj.get("external_id")): key for key, obj in expected.items()}
    by_email: dict[str, set[str]] = {}
    for key, obj in expected.items():
        for e in {normal_email(obj.get("user_name")), normal_email(obj.get("email"))} - {""}:
            by_email.setdefault(e, set()).add(key)
    users = sorted(users, key=lambda u: str(u.get("id")))
    claims: dict[str, list[str]] = {}
    found: list[tuple[dict, tuple[str, ...], str]] = []
    for u in users:
        rid = str(u.get("id"))
        if rid in linked:
            found.append((u, (linked[rid],), "shadow"))
            continue
        ext = u.get("externalId")
        if ext and str(ext) in by_external:
            cands, by = (by_external[str(ext)],), "externalId"
        else:
            cands, by = tuple(sorted({k for e in emails_of(u) for k in by_email.get(e, ())})), "e-mail"
        for k in cands:
            claims.setdefault(k, []).append(rid)
        found.append((u, cands, by))
    owned = set(linked.values())
    login_of = {str(u.get("id")): normal_email(u.get("userName")) for u in users}

    def holder(key: str) -> str | None:
        """Of the accounts claiming `key`, the one whose login is the person's login, if exactly one."""
        login = normal_email(expected[key].get("user_name"))
        held = [r for r in claims[key] if login_of.get(r) == login]
        return held[0] if len(held) == 1 else None

    out = Matching()
    for u, cands, by in found:
        rid, login = str(u.get("id")), u.get("userName")
        common = dict(remote_id=rid, login=login, version=sj.meta(u).get("version"),
                      external_id=u.get("externalId"), active=bool(u.get("active", True)))
        if by == "shadow":
            out.accounts.append(Situation(LINKED, key=cands[0], by=by, **common))
        elif not cands:
            out.accounts.append(Situation(UNMATCHED, **common))
        elif len(cands) > 1:
            out.accounts.append(Situation(DISPUTED, candidates=cands, by=by, **common,
                                          why=f"its e-mails match {len(cands)} people: {', '.join(cands)}"))
        elif cands[0] in owned:
            out.accounts.append(Situation(DISPUTED, candidates=cands, by=by, **common,
                                          why=f"matches {cands[0]} by {by}, whose account is already linked"))
        elif len(claims[cands[0]]) > 1 and holder(cands[0]) == rid:
            out.accounts.append(Situation(MATCHED, key=cands[0], by="login", **common))
        elif len(claims[cands[0]]) > 1:
            others = [r for r in claims[cands[0]] if r != rid]
            out.accounts.append(Situation(DISPUTED, candidates=cands, by=by, **common,
                                          why=f"{cands[0]} has {len(others) + 1} accounts here (also "
                                              f"{', '.join(others)}): which one is theirs?"))
        else:
            out.accounts.append(Situation(MATCHED, key=cands[0], by=by, **common))
    # an inactive person without an account there needs none: nothing is created for them
    out.missing = sorted(k for k, obj in expected.items()
                         if k not in owned and k not in claims and obj.get("active", True))
    return out
