"""bench/state.py's baselines insert exactly the rows they are given, on both databases."""

from __future__ import annotations

import sqlite3

import psycopg

from bench.state import bare_postgres, bare_sqlite, table


def test_bare_inserts_write_every_row(tmp_path, pg_url):
    rows = [(f"person.p{i}", "person", '{"a":1}', "active", 1) for i in range(50)]
    assert bare_sqlite(tmp_path / "b.db", rows) >= 0
    assert sqlite3.connect(tmp_path / "b.db").execute("SELECT COUNT(*) FROM bare").fetchone()[0] == 50
    many, copy = bare_postgres(pg_url, rows)
    assert many >= 0 and copy >= 0
    with psycopg.connect(pg_url) as conn:
        assert conn.execute("SELECT COUNT(*), MIN(address) FROM bare").fetchone() == (50, "person.p0")
    shown = table([{"size": 50, "backend": "postgresql", "step": "bare COPY", "seconds": copy,
                    "detail": {"rows": 50}}])
    assert "bare COPY" in shown and "50 resource rows" in shown
