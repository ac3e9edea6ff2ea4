"""The read cache (readcache.py, `--cache DIR`): runs with no cache, with an empty one and
with a full one give the same findings, each at its file:line:column, the same echoed
source lines and the same plan, on the example orgs and on generated orgs with deliberate
mistakes, read on one core or two; a changed file, a damaged or forged entry, another code
version all read as misses; the cache tidies only its own entries; a cache that cannot be
written is said on stderr and changes nothing else; apply never reads it."""

from __future__ import annotations

import hashlib
import json
import os
import signal
import time
from pathlib import Path

import orjson
import pytest

from provisioner import fastyaml, loader, readcache
from provisioner.readcache import ReadCache
from tests.clihelp import run
from tests.test_split_read import TODAY, _org, _outcome

pytestmark = pytest.mark.skipif(not fastyaml.available(), reason="yaml-rs has no wheel for this platform")


def _cached_outcome(folder: Path, cache: ReadCache, monkeypatch) -> tuple:
    from provisioner import pipeline

    real = pipeline.validate
    with monkeypatch.context() as m:
        m.setattr("tests.test_split_read.validate", lambda *a, **k: real(*a, cache=cache, **k))
        return _outcome(folder)


def _entries(cache_dir: Path) -> list[Path]:
    return sorted(p for p in cache_dir.rglob("*") if p.is_file() and len(p.name) == 64)


def _no_fast_reading(monkeypatch) -> list:
    """Every file the fast reader is asked to read is recorded (a warm run asks for none)."""
    asked = []
    real = fastyaml.documents
    monkeypatch.setattr(fastyaml, "documents", lambda text: asked.append(len(text)) or real(text))
    return asked


def _filled(org: str, tmp_path: Path, monkeypatch) -> tuple[Path, Path]:
    """An org read on one core through an empty cache, which it fills: (org folder, cache folder)."""
    folder = _org(org, tmp_path)
    monkeypatch.setattr(loader, "SPLIT_FROM", 1 << 62)
    cache = tmp_path / "cache"
    _cached_outcome(folder, ReadCache(cache), monkeypatch)
    return folder, cache


@pytest.mark.parametrize("split", [False, True], ids=["one core", "two cores"])
@pytest.mark.parametrize("org", ["riverside-health", "harbor-therapy", "none", "parse-and-schema", "rules"])
def test_no_cache_an_empty_one_and_a_full_one_give_the_same_findings_and_plan(org, split, tmp_path, monkeypatch):
    folder = _org(org, tmp_path)
    monkeypatch.setattr(loader, "SPLIT_FROM", 0 if split else 1 << 62)
    uncached = _outcome(folder)
    cache = ReadCache(tmp_path / "cache")
    filling = _cached_outcome(folder, cache, monkeypatch)
    stored = _entries(tmp_path / "cache")
    assert stored, "nothing was kept: nothing was compared"
    asked = _no_fast_reading(monkeypatch)
    hits = tmp_path / "hits"  # written by whichever process takes an entry, the child too
    real = readcache._entry

    def recorded(*args):
        found = real(*args)
        if found is not None:
            with open(hits, "a") as f:
                f.write(f"{os.getpid()}\n")
        return found

    monkeypatch.setattr(readcache, "_entry", recorded)
    warm = _cached_outcome(folder, ReadCache(tmp_path / "cache"), monkeypatch)
    takers = hits.read_text().split()
    assert len(takers) == len(stored), "a kept file was not taken from the cache"
    assert (len(set(takers)) == 2) == split  # on two cores, the child took its half from the cache
    assert filling == uncached
    assert warm == uncached
    if not split:  # (what the child is asked is not seen here)
        files = len(loader.discover(folder)[0])
        assert len(asked) == files - len(stored), "a warm run read a file it had kept"
    assert _entries(tmp_path / "cache") == stored  # nothing new: every file was found
    if org in ("parse-and-schema", "rules"):
        assert uncached[0], "the mistakes were found"
    else:
        assert isinstance(uncached[1], dict), "a plan was made"


def test_a_changed_file_is_read_again_and_the_result_follows_it(tmp_path, monkeypatch):
    folder, cache = _filled("none", tmp_path, monkeypatch)
    before = set(_entries(cache))
    exact = len(loader.discover(folder)[0]) - len(before)  # read by the exact reader, never kept
    changed = folder / "people-003.yaml"
    text = changed.read_text(encoding="utf-8")
    at = text.index("account_type: office_staff")
    changed.write_text(text[:at] + "account_type: bogus_staff" + text[at + len("account_type: office_staff"):],
                       encoding="utf-8")
    asked = _no_fast_reading(monkeypatch)
    warm = _cached_outcome(folder, ReadCache(cache), monkeypatch)
    assert len(asked) == exact + 1  # of the kept files, the changed one alone
    assert len(set(_entries(cache)) - before) == 1
    assert warm == _outcome(folder)
    assert any(f[0].endswith("people-003.yaml") and f[3] == "SCHEMA001" for f in warm[0])


def _one_entry(cache: Path) -> tuple[Path, bytes, bytes]:
    entry = max(_entries(cache), key=lambda p: p.stat().st_size)
    head, _, body = entry.read_bytes().partition(b"\n")
    return entry, head, body


def _resealed(head: bytes, body: bytes, checked: bytes | None = None) -> bytes:
    key, _, flag = head.split(b" ")
    digest = hashlib.blake2b(body, digest_size=32).hexdigest().encode()
    return b"%s %s %s\n%s" % (key, digest, checked or flag, body)


def _forge_value(body: bytes, old: bytes, new: bytes) -> bytes:
    assert old in body
    return body.replace(old, new, 1)


@pytest.mark.parametrize("damage", [
    "truncated", "a byte flipped", "another entry's key", "empty", "not JSON", "a number in a value",
    "NaN", "not a list", "an offset past the text", "a line past the text", "too deep", "a bad flag",
])
def test_a_damaged_or_misshapen_entry_is_a_miss(damage, tmp_path, monkeypatch):
    folder, cache = _filled("riverside-health", tmp_path, monkeypatch)
    uncached = _outcome(folder)
    entry, head, body = _one_entry(cache)
    found = orjson.loads(body)
    if damage == "truncated":
        written = entry.read_bytes()[:-20]
    elif damage == "a byte flipped":
        written = head + b"\n" + body.replace(b'"kind"', b'"kinD"', 1)
    elif damage == "another entry's key":
        written = b"0" * 64 + head[64:] + b"\n" + body
    elif damage == "empty":
        written = b""
    elif damage == "not JSON":
        written = _resealed(head, body[:-1])
    elif damage == "a number in a value":
        found[0][3]["kind"] = 7
        written = _resealed(head, orjson.dumps(found))
    elif damage == "NaN":
        written = _resealed(head, body.replace(b'"kind":', b'"x":NaN,"kind":', 1))
    elif damage == "not a list":
        written = _resealed(head, orjson.dumps({"found": found}))
    elif damage == "an offset past the text":
        found[0][2] = 10 ** 9
        written = _resealed(head, orjson.dumps(found))
    elif damage == "a line past the text":
        found[0][1] = 10 ** 9
        written = _resealed(head, orjson.dumps(found))
    elif damage == "too deep":
        deep: dict = {}
        for _ in range(fastyaml._LIMIT_DEPTH + 2):
            deep = {"x": deep}
        found[0][3]["deep"] = deep
        written = _resealed(head, orjson.dumps(found))
    else:
        written = _resealed(head, body, checked=b"2")
    exact = len(loader.discover(folder)[0]) - len(_entries(cache))
    entry.write_bytes(written)
    asked = _no_fast_reading(monkeypatch)
    assert _cached_outcome(folder, ReadCache(cache), monkeypatch) == uncached
    assert len(asked) == exact + 1, "the damaged entry was taken"
    assert entry.read_bytes() != written  # and replaced by a whole one


def test_an_entry_that_is_a_symbolic_link_is_not_followed(tmp_path, monkeypatch):
    folder, cache = _filled("riverside-health", tmp_path, monkeypatch)
    entry, _, _ = _one_entry(cache)
    exact = len(loader.discover(folder)[0]) - len(_entries(cache))
    elsewhere = tmp_path / "elsewhere"
    elsewhere.write_bytes(entry.read_bytes())
    entry.unlink()
    entry.symlink_to(elsewhere)
    uncached = _outcome(folder)
    asked = _no_fast_reading(monkeypatch)
    assert _cached_outcome(folder, ReadCache(cache), monkeypatch) == uncached
    assert len(asked) == exact + 1
    assert not entry.is_symlink()


@pytest.mark.parametrize("kind", ["a FIFO", "a folder", "too large"])
def test_an_entry_that_is_no_plain_file_of_an_entry_s_size_is_a_miss_without_waiting(kind, tmp_path, monkeypatch):
    folder, cache = _filled("riverside-health", tmp_path, monkeypatch)
    exact = len(loader.discover(folder)[0]) - len(_entries(cache))
    entry, _, _ = _one_entry(cache)
    entry.unlink()
    if kind == "a FIFO":
        os.mkfifo(entry)  # opened for reading, it would wait for a writer forever
    elif kind == "a folder":
        entry.mkdir()
    else:
        monkeypatch.setattr(readcache, "MAX_ENTRY", 100)
    uncached = _outcome(folder)
    asked = _no_fast_reading(monkeypatch)

    def waited(*_):
        raise AssertionError("the run waited on the entry")

    previous = signal.signal(signal.SIGALRM, waited)
    signal.alarm(20)
    try:
        assert _cached_outcome(folder, ReadCache(cache), monkeypatch) == uncached
    finally:
        signal.alarm(0)
        signal.signal(signal.SIGALRM, previous)
    assert len(asked) == exact + (len(_entries(cache)) if kind == "too large" else 1)


def test_another_code_version_misses_and_its_entries_are_removed_with_nothing_else(tmp_path, monkeypatch):
    folder = _org("harbor-therapy", tmp_path)
    monkeypatch.setattr(loader, "SPLIT_FROM", 1 << 62)
    cache = tmp_path / "cache"
    cache.mkdir()
    (cache / "notes").mkdir()
    (cache / "notes" / "keep.txt").write_text("not the cache's")
    (cache / "README").write_text("not the cache's either")
    (cache / "read-later").mkdir()  # named like the cache's, but not its
    (cache / "read-later" / "paper.yaml").write_text("kept")
    lookalike = cache / ("read-" + "a" * 24)  # shaped like a version folder, with no tag
    (lookalike / "ab").mkdir(parents=True)
    (lookalike / "ab" / ("b" * 64)).write_text("kept")
    _cached_outcome(folder, ReadCache(cache), monkeypatch)
    old = [p for p in cache.iterdir() if p.name.startswith("read-") and (p / "CACHEDIR.TAG").exists()]
    assert len(old) == 1
    elsewhere = tmp_path / "elsewhere"  # a shard that is a link: nothing is removed through it
    elsewhere.mkdir()
    (elsewhere / ("c" * 64)).write_text("not the cache's")
    (old[0] / "cd").symlink_to(elsewhere)
    long_ago = time.time() - readcache.STALE_AFTER - 60
    for path in [old[0] / "CACHEDIR.TAG", elsewhere / ("c" * 64), lookalike / "ab" / ("b" * 64)]:
        os.utime(path, (long_ago, long_ago), follow_symlinks=False)
    monkeypatch.setattr(readcache, "_VERSION", "f" * 64)  # as after an upgrade
    uncached = _outcome(folder)
    asked = _no_fast_reading(monkeypatch)
    assert _cached_outcome(folder, ReadCache(cache), monkeypatch) == uncached
    assert len(asked) == len(loader.discover(folder)[0])  # every file read again, each once
    assert not (old[0] / "CACHEDIR.TAG").exists()  # the old version's own files went...
    assert [p.name for p in old[0].iterdir()] == ["cd"]  # ...but not the link, nor through it
    assert (elsewhere / ("c" * 64)).read_text() == "not the cache's"
    assert {p.name for p in cache.iterdir()} == {"notes", "README", "read-later", lookalike.name, old[0].name,
                                                 "read-" + "f" * 24}
    assert (cache / "notes" / "keep.txt").read_text() == "not the cache's"
    assert (cache / "read-later" / "paper.yaml").read_text() == "kept"
    assert (lookalike / "ab" / ("b" * 64)).read_text() == "kept"


def test_another_version_s_folder_in_use_is_kept(tmp_path, monkeypatch):
    """Two versions sharing DIR (a CI matrix) do not remove each other's entries."""
    folder, cache = _filled("harbor-therapy", tmp_path, monkeypatch)
    kept = _entries(cache)
    monkeypatch.setattr(readcache, "_VERSION", "f" * 64)
    _cached_outcome(folder, ReadCache(cache), monkeypatch)
    assert set(kept) <= set(_entries(cache))


def test_the_version_digest_follows_the_code_and_the_schemas(monkeypatch, tmp_path):
    from provisioner import schemacheck

    first = readcache.version_digest()
    schemas = tmp_path / "schemas"
    schemas.mkdir()
    for path in Path(schemacheck.SCHEMA_DIR).glob("*.json"):
        (schemas / path.name).write_bytes(path.read_bytes())
    monkeypatch.setattr(schemacheck, "SCHEMA_DIR", schemas)
    monkeypatch.setattr(readcache, "_VERSION", None)
    assert readcache.version_digest() == first
    person = schemas / "person.schema.json"
    assert person.exists()
    person.write_text(person.read_text().replace('"type"', ' "type"', 1))
    monkeypatch.setattr(readcache, "_VERSION", None)
    assert readcache.version_digest() != first


def test_entries_unused_for_long_are_removed_and_used_ones_kept(tmp_path, monkeypatch):
    folder, cache = _filled("riverside-health", tmp_path, monkeypatch)
    used = _entries(cache)
    stale = used[0].parent / ("0" * 64)
    stale.write_bytes(b"an entry of a file that no longer exists")
    long_ago = time.time() - readcache.STALE_AFTER - 60
    for path in used + [stale]:
        os.utime(path, (long_ago, long_ago))
    _cached_outcome(folder, ReadCache(cache), monkeypatch)
    assert not stale.exists()
    assert _entries(cache) == used  # each used just now: kept


def _cli_org(tmp_path: Path) -> Path:
    return _org("riverside-health", tmp_path)


def test_the_command_line_takes_the_cache_from_the_option_or_the_environment(tmp_path, monkeypatch):
    folder = _cli_org(tmp_path)
    monkeypatch.setenv("NO_COLOR", "1")
    bare = run("validate", folder, "--today", TODAY)
    by_option = run("validate", folder, "--today", TODAY, "--cache", tmp_path / "c1")
    assert _entries(tmp_path / "c1")
    monkeypatch.setenv("PROVISIONER_CACHE", str(tmp_path / "c2"))
    by_env = run("validate", folder, "--today", TODAY)
    again = run("validate", folder, "--today", TODAY)
    assert _entries(tmp_path / "c2")
    assert bare.exit_code == by_option.exit_code == by_env.exit_code == again.exit_code
    assert bare.output == by_option.output == by_env.output == again.output


def test_a_cache_that_cannot_be_written_is_said_and_changes_nothing_else(tmp_path, monkeypatch):
    folder = _cli_org(tmp_path)
    monkeypatch.setenv("NO_COLOR", "1")
    blocked = tmp_path / "a-file"
    blocked.write_text("not a folder")
    bare = run("validate", folder, "--today", TODAY)
    for given in (blocked, blocked / "cache"):
        r = run("validate", folder, "--today", TODAY, "--cache", given)
        assert r.exit_code == bare.exit_code
        assert r.stdout == bare.stdout
        assert "warning: the read cache was not written" in r.stderr and str(blocked) in r.stderr
        assert "Traceback" not in r.output


def test_apply_never_reads_the_cache_so_a_forged_entry_cannot_reach_the_state(tmp_path, monkeypatch):
    """Someone who can write the cache makes `plan --cache` read what the file does not say;
    apply re-derives the plan from the files alone and refuses it."""
    folder = _cli_org(tmp_path)
    monkeypatch.setenv("NO_COLOR", "1")
    monkeypatch.setenv("PROVISIONER_ACTOR", "tester@test.example")
    monkeypatch.chdir(tmp_path)
    state = f"sqlite:///{tmp_path / 'state.db'}"
    cache = tmp_path / "cache"
    first = run("plan", folder, "--state", state, "--today", TODAY, "--cache", cache, "--out", tmp_path / "p0.json")
    assert first.exit_code == 0, first.output
    applied = run("apply", tmp_path / "p0.json", "--state", state, "--today", TODAY)
    assert applied.exit_code == 0, applied.output
    people = [p for p in _entries(cache) if b'"kind":"Person"' in p.read_bytes()]
    entry = people[0]
    head, _, body = entry.read_bytes().partition(b"\n")
    name = orjson.loads(body)[0][3]["name"].encode()
    entry.write_bytes(_resealed(head, body.replace(b'"name":"%s"' % name, b'"name":"Forged Name"', 1)))
    forged = run("plan", folder, "--state", state, "--today", TODAY, "--cache", cache,
                 "--out", tmp_path / "p1.json")
    assert forged.exit_code == 0, forged.output
    assert "Forged Name" in forged.output  # the cache was read...
    monkeypatch.setenv("PROVISIONER_CACHE", str(cache))
    refused = run("apply", tmp_path / "p1.json", "--state", state, "--today", TODAY)
    assert refused.exit_code == 1, refused.output  # ...and apply refused what the files do not say
    assert "changes differ from what the config and state produce" in refused.output, refused.output
    assert "Forged Name" not in json.dumps(snapshot_attributes(state))
    assert "--cache" not in run("apply", "--help").output


def snapshot_attributes(state: str) -> dict:
    from provisioner.state import open_state

    backend = open_state("riverside-health", state)
    try:
        return {k: r.attributes for k, r in backend.read().resources.items()}
    finally:
        backend.close()
