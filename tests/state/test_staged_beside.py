"""A large apply stages its rows (canonical texts, the audit chain) in a child while it sends
the parts already staged (sqlstore `_sent_from_beside`, beside.Stream). The rows, the audit
chain and the commit's digest are exactly what staging in the applying process gives, on
both backends, and whatever stops the child part-way, the apply finishes here the same."""

from __future__ import annotations

import datetime as dt
import os
import time

import pytest

from provisioner.plan.changes import resource_dict as d
from provisioner.state import Resource, StateError, Write, open_state
from provisioner.state import sqlstore
from provisioner.state.sqlstore import SQLStore

PART = 7  # rows per part sent from the child: many parts, and one left over


@pytest.fixture(params=["sqlite", "postgresql"])
def fresh(request, isolated, tmp_path):
    """Fresh states on one backend, one per call: one written by the child's parts, one here."""
    if request.param == "sqlite":
        made = iter(range(100))
        return lambda: f"sqlite:///{tmp_path / str(next(made))}.db"
    cluster = request.getfixturevalue("pg_cluster")
    request.getfixturevalue("pg_url")  # PGPASSWORD, as the tests' server wants it
    return lambda: cluster.url(cluster.create_database())


@pytest.fixture
def urls(fresh):
    return [fresh(), fresh()]


def _person(i: int, **extra) -> Resource:
    return Resource(f"person.p{i}", "person", {"name": f"Ana \"Nº{i}\" Ærø", "offices": ["west", "é"], **extra},
                    "active")


def _first() -> list[Write]:
    """Creations, one address created twice."""
    people = [_person(i) for i in range(40)]
    office = Resource("office.west", "office", {"name": "West", "phones": [1, 2.5, None]}, "active")
    again = _person(3, title="RN")
    return ([Write(p.address, p, "create", None, d(p)) for p in people] + [Write(office.address, office, "create",
            None, d(office)), Write(again.address, again, "create", None, d(again))])


def _second() -> list[Write]:
    """Every kind of write an apply makes: updates, a deactivation, deletions, a move (the old
    address removed, another created there), a replacement with its archived row."""
    out = []
    for i in range(5, 25):
        p = _person(i, title="MD")
        out.append(Write(p.address, p, "update", d(_person(i)), d(p)))
    gone = Resource("person.p30", "person", _person(30).attributes, "inactive")
    out.append(Write(gone.address, gone, "deactivate", d(_person(30)), d(gone)))
    out += [Write(f"person.p{i}", None, "delete", d(_person(i)), None) for i in range(31, 36)]
    moved = Resource("person.q1", "person", _person(1).attributes, "active")
    out += [Write("person.p1", None, "move", d(_person(1)), {"moved_to": "person.q1"}),
            Write("person.q1", moved, "move", d(_person(1)), d(moved))]
    newcomer = _person(1, name="Bea")
    out.append(Write(newcomer.address, newcomer, "create", None, d(newcomer)))
    replaced = Resource("person.p2", "person", {"name": "Cy"}, "active")
    archived = Resource("person.p2~2", "person", _person(2).attributes, "inactive")
    out += [Write("person.p2", replaced, "replace", d(_person(2)), d(replaced)),
            Write("person.p2~2", archived, "deactivate", d(_person(2)), d(archived))]
    return out


def _applied(url: str, monkeypatch, beside: bool, sent: list[int], stop=None) -> tuple:
    """Both applies on a fresh state at `url`; what the state then holds, as comparable rows."""
    with monkeypatch.context() as m:
        m.setattr(sqlstore, "STAGE_BESIDE_FROM", 0 if beside else 10 ** 9)
        m.setattr(sqlstore, "STREAMED_PART", PART)
        real_sent, real_parts = SQLStore._sent_from_beside, SQLStore._staged_parts

        def recorded(self, writes, *args):
            done = real_sent(self, writes, *args)
            sent.append(done)
            return done

        def stopping(self, writes, *args):  # runs in the child only
            for n, part in enumerate(real_parts(self, writes, *args)):
                if stop is not None and n == 2:
                    stop()
                yield part

        m.setattr(SQLStore, "_sent_from_beside", recorded)
        m.setattr(SQLStore, "_staged_parts", stopping)
        backend = open_state("testorg", url)
        try:
            first = backend.apply(_first(), expect=(None, 0), actor="ci", plan_digest="p1",
                                  at=dt.datetime(2026, 1, 1, tzinfo=dt.timezone.utc), read_back=False)
            after = backend.apply(_second(), expect=(first.lineage, 1), actor="ci", plan_digest="p2",
                                  at=dt.datetime(2026, 1, 2, tzinfo=dt.timezone.utc))
            audit = [(r.seq, r.at, r.actor, r.plan_digest, r.address, r.action, r.before, r.after, r.prev_hash,
                      r.hash) for r in backend.audit()]
            commits = [(c["resources"], c["resources_digest"], c["audit_seq"], c["audit_hash"])
                       for c in backend.commits()]
            return after.resources, audit, commits, backend.verify()
        finally:
            backend.close()


def test_rows_staged_beside_are_the_rows_staged_here(urls, monkeypatch):
    sent_beside, sent_here = [], []
    beside = _applied(urls[0], monkeypatch, True, sent_beside)
    here = _applied(urls[1], monkeypatch, False, sent_here)
    assert beside == here
    assert sent_beside == [len(_first()), len(_second())] and sent_here == []  # all of it from the child
    resources, audit, commits, problems = beside
    assert not problems and len(audit) == len(_first()) + len(_second()) and len(commits) == 2
    assert resources["person.p1"].attributes["name"] == "Bea" and "person.p33" not in resources
    assert resources["person.p2~2"].status == "inactive" and resources["person.q1"].status == "active"


def _killed():
    time.sleep(0.5)  # the parts made before are sent meanwhile
    os._exit(0)


def _failing():
    raise RuntimeError("the child's own trouble")


@pytest.mark.parametrize("stop", [_killed, _failing], ids=["killed", "raises"])
def test_a_child_that_stops_part_way_leaves_the_rest_to_this_process_and_the_same_state(urls, monkeypatch,
                                                                                          stop):
    sent_beside, sent_here = [], []
    beside = _applied(urls[0], monkeypatch, True, sent_beside, stop=stop)
    here = _applied(urls[1], monkeypatch, False, sent_here)
    assert beside == here and not beside[3]
    assert sent_beside == [2 * PART, 2 * PART]  # its two parts sent, the rest staged here


def test_a_write_that_fails_in_the_child_fails_here_and_nothing_is_applied(urls, monkeypatch):
    """A failure staging one write (here patched in, as a full disk would be): the child stops
    there, this process stages from the last part it sent, meets the failure itself, and the
    transaction rolls back whole."""
    real = SQLStore._write_resource

    def failing(self, write, serial):
        if write.address == "person.p20" and write.action == "update":
            raise StateError("cannot stage person.p20")
        return real(self, write, serial)

    sent = []
    backend = open_state("testorg", urls[0])
    try:
        with monkeypatch.context() as m:
            m.setattr(sqlstore, "STAGE_BESIDE_FROM", 0)
            m.setattr(sqlstore, "STREAMED_PART", PART)
            first = backend.apply(_first(), expect=(None, 0), actor="ci", plan_digest="p1",
                                  at=dt.datetime(2026, 1, 1, tzinfo=dt.timezone.utc))
            before, audited = first.resources, len(backend.audit())
            m.setattr(SQLStore, "_write_resource", failing)
            real_sent = SQLStore._sent_from_beside
            m.setattr(SQLStore, "_sent_from_beside", lambda self, *a: sent.append(real_sent(self, *a)) or sent[-1])
            with pytest.raises(StateError, match="cannot stage person.p20"):
                backend.apply(_second(), expect=(first.lineage, 1), actor="ci", plan_digest="p2",
                              at=dt.datetime(2026, 1, 2, tzinfo=dt.timezone.utc))
        assert sent == [14]  # the parts before the failing write came from the child
        now = backend.read()
        assert (now.serial, now.resources, len(backend.audit())) == (1, before, audited)
        assert backend.verify() == []
    finally:
        backend.close()


def test_progress_counts_every_write_once_in_order_wherever_it_was_staged(tmp_path, monkeypatch):
    monkeypatch.setattr(sqlstore, "STAGE_BESIDE_FROM", 0)
    monkeypatch.setattr(sqlstore, "STREAMED_PART", PART)
    real = SQLStore._staged_parts

    def stopping(self, writes, *args):  # in the child: two parts, then it fails
        for n, part in enumerate(real(self, writes, *args)):
            if n == 2:
                raise RuntimeError("the child's own trouble")
            yield part

    monkeypatch.setattr(SQLStore, "_staged_parts", stopping)
    counted = []
    backend = open_state("testorg", f"sqlite:///{tmp_path / 's.db'}")
    try:
        backend.apply(_first(), expect=(None, 0), actor="ci", plan_digest="p1", progress=counted.append,
                      at=dt.datetime(2026, 1, 1, tzinfo=dt.timezone.utc))
    finally:
        backend.close()
    assert counted == list(range(1, len(_first()) + 1))


def _outside_row(url: str) -> None:
    """A row at person.p0 put into the state outside the provisioner, after its first apply."""
    backend = open_state("testorg", url)
    try:
        backend._conn.execute("INSERT INTO resources (address, kind, attributes, status, serial) "
                              "VALUES (?, ?, ?, ?, ?)", ("person.p0", "person", "{}", "active", 1))
    finally:
        backend.close()


@pytest.mark.parametrize("outside", [False, True], ids=["clean", "row-put-there-outside"])
def test_the_outcome_does_not_depend_on_the_parts_the_writes_are_sent_in(fresh, monkeypatch, outside):
    """A creation where the state held no row is inserted without a DELETE first, so a row
    put there outside the provisioner is found: whether a later write to the same address
    falls in the same part or a later one, and whether the parts are staged here or beside."""
    office = Resource("office.east", "office", {"name": "East"}, "active")
    ana, ana_again = _person(0), _person(0, title="RN")
    writes = ([Write(ana.address, ana, "create", None, d(ana))]
              + [Write(p.address, p, "create", None, d(p)) for p in (_person(i) for i in range(1, 30))]
              + [Write(ana.address, ana_again, "update", d(ana), d(ana_again))])
    outcomes = []
    for flush, beside in [(1, False), (2, False), (10_000, False), (10_000, True)]:
        url = fresh()
        backend = open_state("testorg", url)
        try:
            first = backend.apply([Write(office.address, office, "create", None, d(office))], expect=(None, 0),
                                  actor="ci", plan_digest="p0", at=dt.datetime(2026, 1, 1, tzinfo=dt.timezone.utc))
        finally:
            backend.close()
        if outside:
            _outside_row(url)
        with monkeypatch.context() as m:
            m.setattr(sqlstore, "FLUSH_EVERY", flush)
            m.setattr(sqlstore, "STAGE_BESIDE_FROM", 0 if beside else 10 ** 9)
            m.setattr(sqlstore, "STREAMED_PART", PART)
            backend = open_state("testorg", url)
            try:
                after = backend.apply(writes, expect=(first.lineage, first.serial), actor="ci", plan_digest="p1",
                                      at=dt.datetime(2026, 1, 2, tzinfo=dt.timezone.utc))
                outcomes.append(("applied", after.serial, after.resources["person.p0"]))
            except StateError as exc:
                assert "already holds a resource this apply creates" in str(exc) or "duplicate key" in str(exc)
                outcomes.append(("refused", backend.read().serial, None))
            finally:
                backend.close()
    expected = ("refused", 1, None) if outside else ("applied", 2, ana_again)
    assert outcomes == [expected] * 4
