"""Move a state to another backend with its whole history (`provisioner state migrate`):
every table but the lock, copied in one transaction of the destination, which must be
empty; the source is verified before, the destination after (inside that transaction, so
a copy that does not verify is never committed), and both must end at the same commit."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

from .backend import StateError

# What a state is: every table but `state_lock` (a lock belongs to a session) and
# `schema_version` (each side has run its own migrations).
TABLES = ("meta", "resources", "audit", "commits", "operations", "shadows", "target_info")


@dataclass(frozen=True)
class Moved:
    org: str
    lineage: str
    serial: int
    rows: dict
    head: dict


def _errors(store, side: str) -> None:
    errors = [p.message for p in store.integrity() if p.error]
    if errors:
        more = f" (and {len(errors) - 3} more)" if len(errors) > 3 else ""
        raise StateError(f"the {side} state at {store.path} fails verification: {'; '.join(errors[:3])}{more}; "
                         "nothing was migrated")


def copy_state(source, open_dest: Callable[[str], object]) -> Moved:
    """Copy `source` into the empty destination that `open_dest(org)` opens (or creates)
    once the source has verified: a refused source leaves no destination behind."""
    _errors(source, "source")
    snap = source.read()
    if snap.lineage is None:
        raise StateError(f"the state at {source.path} is empty (nothing applied yet): nothing to migrate")
    dest = open_dest(source.stored_org())
    try:
        return _copy(source, dest, snap)
    finally:
        dest.close()


def _copy(source, dest, snap) -> Moved:
    tables = {}
    with source._reading():
        for table in TABLES:
            cur = source._conn.execute(f"SELECT * FROM {table}")
            tables[table] = ([d[0] for d in cur.description], cur.fetchall())
    with dest._transaction():
        if dest._meta() or dest.audit_count() or dest.commits():
            raise StateError(f"the destination {dest.path} already holds a state (lineage "
                             f"{dest._meta().get('lineage')}); migrate only into an empty one")
        for table, (names, rows) in tables.items():
            if rows:
                dest._conn.executemany(f"INSERT INTO {table} ({', '.join(names)}) VALUES "
                                       f"({', '.join('?' for _ in names)})", [tuple(r) for r in rows])
        _errors(dest, "destination")
        if dest.head() != source.head():
            raise StateError("the destination's head commit differs from the source's; nothing was migrated")
    return Moved(source.stored_org() or "", snap.lineage, snap.serial,
                 {t: len(rows) for t, (_, rows) in tables.items()}, dest.head())
