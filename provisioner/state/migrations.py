"""Ordered schema migrations of the state database and the code that runs them.

Each migration is a version number and plain, portable SQL (no SQLite-only types), so a
PostgreSQL backend can run the same list. Versions only ever grow.
"""

from __future__ import annotations

MIGRATIONS: list[tuple[int, str, tuple[str, ...]]] = [
    (1, "resources, meta and the audit log", (
        "CREATE TABLE meta (key VARCHAR(64) PRIMARY KEY, value TEXT NOT NULL)",
        "CREATE TABLE resources ("
        " address VARCHAR(400) PRIMARY KEY,"
        " kind VARCHAR(40) NOT NULL,"
        " attributes TEXT NOT NULL,"
        " status VARCHAR(20) NOT NULL,"
        " serial INTEGER NOT NULL)",
        "CREATE INDEX resources_kind ON resources (kind)",
        "CREATE TABLE audit ("
        " seq INTEGER PRIMARY KEY,"
        " at VARCHAR(40) NOT NULL,"
        " actor VARCHAR(200) NOT NULL,"
        " plan_digest VARCHAR(80) NOT NULL,"
        " address VARCHAR(400) NOT NULL,"
        " action VARCHAR(20) NOT NULL,"
        " before_json TEXT NOT NULL,"
        " after_json TEXT NOT NULL,"
        " prev_hash VARCHAR(64) NOT NULL,"
        " hash VARCHAR(64) NOT NULL)",
    )),
    (2, "the apply lock", (
        "CREATE TABLE state_lock ("
        " id INTEGER PRIMARY KEY,"
        " token VARCHAR(64) NOT NULL,"
        " holder VARCHAR(200) NOT NULL,"
        " pid INTEGER NOT NULL,"
        " host VARCHAR(200) NOT NULL,"
        " since VARCHAR(40) NOT NULL)",
    )),
    (3, "the outbox of target operations and the shadows of delivered objects", (
        "CREATE TABLE operations ("
        " id VARCHAR(40) PRIMARY KEY,"
        " target VARCHAR(80) NOT NULL,"
        " serial INTEGER NOT NULL,"
        " seq INTEGER NOT NULL,"
        " op_key VARCHAR(400) NOT NULL,"
        " object VARCHAR(10) NOT NULL,"
        " action VARCHAR(20) NOT NULL,"
        " payload TEXT NOT NULL,"
        " takes_over VARCHAR(400),"
        " depends_on TEXT NOT NULL,"
        " status VARCHAR(20) NOT NULL,"
        " attempts INTEGER NOT NULL,"
        " last_error TEXT,"
        " remote_id VARCHAR(400),"
        " created_at VARCHAR(40) NOT NULL,"
        " updated_at VARCHAR(40) NOT NULL,"
        " file VARCHAR(400))",
        "CREATE INDEX operations_open ON operations (target, status, serial, seq)",
        "CREATE INDEX operations_key ON operations (target, op_key)",
        "CREATE TABLE shadows ("
        " target VARCHAR(80) NOT NULL,"
        " op_key VARCHAR(400) NOT NULL,"
        " remote_id VARCHAR(400) NOT NULL,"
        " version VARCHAR(200),"
        " external_id VARCHAR(400),"
        " user_name VARCHAR(400),"
        " synced_at VARCHAR(40) NOT NULL,"
        " PRIMARY KEY (target, op_key))",
        "CREATE TABLE target_info ("
        " target VARCHAR(80) PRIMARY KEY,"
        " info TEXT NOT NULL,"
        " seen_at VARCHAR(40) NOT NULL)",
    )),
    (4, "commit records: the chained head of every apply and unlock", (
        "CREATE TABLE commits ("
        " seq INTEGER PRIMARY KEY,"
        " serial INTEGER NOT NULL,"
        " lineage VARCHAR(40) NOT NULL,"
        " org VARCHAR(200) NOT NULL,"
        " event VARCHAR(20) NOT NULL,"
        " audit_seq INTEGER NOT NULL,"
        " audit_hash VARCHAR(64) NOT NULL,"
        " resources INTEGER NOT NULL,"
        " resources_digest VARCHAR(80) NOT NULL,"
        " at VARCHAR(40) NOT NULL,"
        " actor VARCHAR(200) NOT NULL,"
        " mac_alg VARCHAR(20) NOT NULL,"
        " prev_mac VARCHAR(64) NOT NULL,"
        " mac VARCHAR(64) NOT NULL)",
    )),
    # No table changes: a state with an outbox already gets one audit row recording it as it
    # stands (SQLStore._seal_outbox); from here on every batch owed and every status change is a row.
    (5, "the outbox and the shadows recorded in the audit log", ()),
]

LATEST = MIGRATIONS[-1][0]

VERSION_TABLE = ("CREATE TABLE IF NOT EXISTS schema_version "
                 "(version INTEGER PRIMARY KEY, description TEXT NOT NULL, applied_at VARCHAR(40) NOT NULL)")


def pending(current: int) -> list[tuple[int, str, tuple[str, ...]]]:
    """Migrations newer than `current`, oldest first."""
    return [m for m in MIGRATIONS if m[0] > current]
