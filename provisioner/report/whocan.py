"""Who can do a thing: the people holding a permission, admin role, licence or scope,
optionally at one office, found among everyone's rights. Pure: names in, rights out.

A name is an EMR or front-office permission (`finish_soap_notes`, `take_payments`), an
admin role (`client_admin_full`, `office_admin`), a licence type (`therapist`), or one of
the words `referrals`, `data_management`, `reporting`, `client_admin` and `admin`.
"""

from __future__ import annotations

import difflib
from typing import Callable, Mapping

from ..vocabulary import ADMIN_ROLES, CLIENT_ADMIN_ROLES, FRONT_OFFICE_PERMISSIONS, LICENSE_TYPES, PERMISSIONS
from .rights import Right

WORDS: dict[str, Callable[[Right], bool]] = {
    "referrals": lambda r: r.system == "referral",
    "data_management": lambda r: r.system == "data_management",
    "reporting": lambda r: r.system == "reporting",
    "client_admin": lambda r: r.system == "admin" and r.name in CLIENT_ADMIN_ROLES,
    "admin": lambda r: r.system == "admin",
}


def known_names() -> list[str]:
    fo = [p for perms in FRONT_OFFICE_PERMISSIONS.values() for p in perms]
    return sorted(set(PERMISSIONS) | set(fo) | set(ADMIN_ROLES) | set(LICENSE_TYPES) | set(WORDS))


class UnknownName(ValueError):
    """A name that is no permission, role, licence or scope word."""

    def __init__(self, name: str) -> None:
        close = difflib.get_close_matches(name, known_names(), n=3)
        hint = f"; did you mean {', '.join(close)}?" if close else "; `provisioner who-can ORG_DIR --list` names them all"
        super().__init__(f"{name!r} is not a permission, admin role, licence type or scope{hint}")


def matcher(name: str) -> Callable[[Right], bool]:
    if name in WORDS:
        return WORDS[name]
    if name not in known_names():
        raise UnknownName(name)
    return lambda r: r.name == name and r.system not in ("referral", "data_management", "reporting")


def who_can(rights: Mapping[str, list[Right]], name: str, office: str | None = None) -> dict[str, list[Right]]:
    """Person id -> the rights by which that person can do `name` (at `office`)."""
    match = matcher(name)
    out: dict[str, list[Right]] = {}
    for pid, held in rights.items():
        found = [r for r in held if match(r) and (office is None or r.covers(office))]
        if found:
            out[pid] = found
    return out
