"""Raw SQL against a test's state, on either backend, to tamper with it as an attacker
with database access would (`?` placeholders on both)."""

from __future__ import annotations

import sqlite3

from provisioner.state import is_postgres, sqlite_path


def execute(state_url: str, statement: str, *args, org: str = "testorg") -> list:
    """Run one statement on the org's state and return its rows (dicts) if it gives any."""
    if is_postgres(state_url):
        from provisioner.state.postgres import connect, schema_of

        conn = connect(state_url)
        try:
            conn.execute(f'SET search_path TO "{schema_of(org)}"')
            cur = conn.execute(statement, args)
            return [dict(r) for r in cur.fetchall()] if cur.description else []
        finally:
            conn.close()
    with sqlite3.connect(str(sqlite_path(state_url))) as db:
        db.row_factory = sqlite3.Row
        cur = db.execute(statement, args)
        return [dict(r) for r in cur.fetchall()]
