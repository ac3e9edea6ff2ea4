"""Licence accounting (“Managing Users and Permissions”): per office and counted licence type, the seats bought and
the active profiles whose default clinic draws on them. Clerical users are never counted;
`None` seats mean unlimited. Pure; the LIC rules and reports judge the table.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Mapping

from .model import Org
from .vocabulary import COUNTED_LICENSE_TYPES, LICENSE_OF_USER_TYPE


@dataclass(frozen=True)
class Pool:
    office: str
    license_type: str
    seats: int | None  # None: unlimited
    users: tuple[str, ...]  # "person-id/profile-id" of active profiles drawing on it

    @property
    def used(self) -> int:
        return len(self.users)

    @property
    def unlimited(self) -> bool:
        return self.seats is None

    @property
    def over(self) -> int:
        return 0 if self.seats is None else max(0, self.used - self.seats)

    @property
    def unused(self) -> int:
        return 0 if self.seats is None else max(0, self.seats - self.used)


def licence_pools(org: Org) -> Mapping[tuple[str, str], Pool]:
    """(office id, licence type) -> Pool, for every office and counted licence type."""
    users: dict[tuple[str, str], list[str]] = {}
    for profile in org.profiles():
        kind = LICENSE_OF_USER_TYPE.get(profile.user_type)
        if profile.active and kind in COUNTED_LICENSE_TYPES:
            users.setdefault((profile.default_clinic, kind), []).append(f"{profile.person_id}/{profile.id}")
    return {
        (office.id, kind): Pool(office.id, kind, office.seats(kind), tuple(users.get((office.id, kind), ())))
        for office in org.offices.values() for kind in COUNTED_LICENSE_TYPES
    }
