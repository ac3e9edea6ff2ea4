"""The read cache ($PROVISIONER_CACHE, readcache.py) never changes a result: `validate` and
`plan` give byte-identical output without it, filling it, and reading from it, on the
example orgs and on a generated 5,000-person org with deliberate mistakes, before and after
a one-file change. An entry damaged in any way is a miss; a forged one can change what
`plan` shows, never what `apply` writes; a file with a finding is never cached."""

from __future__ import annotations

import datetime as dt
import json
import os
import shutil
import types
from pathlib import Path

import pytest
from click.testing import CliRunner

from bench.generate import write_org
from provisioner import fastyaml, loader, readcache
from provisioner.cli import main
from provisioner.plan import planner
from provisioner.pipeline import validate
from provisioner.readcache import ReadCache

from .test_lazy_marks import PARSE_AND_SCHEMA, RULES, with_mistakes

REPO = Path(__file__).resolve().parents[1]
TODAY = "2026-11-23"

pytestmark = pytest.mark.skipif(not fastyaml.available(), reason="yaml-rs has no wheel for this platform")


def _cli(monkeypatch, cache: Path | None, *args) -> tuple[int, str]:
    if cache is None:
        monkeypatch.delenv(readcache.CACHE_ENV, raising=False)
    else:
        monkeypatch.setenv(readcache.CACHE_ENV, str(cache))
    r = CliRunner().invoke(main, [str(a) for a in args])
    assert "Traceback" not in r.output
    return r.exit_code, r.output


class _Noon(dt.datetime):
    @classmethod
    def now(cls, tz=None):
        return dt.datetime(2026, 11, 23, 12, 0, tzinfo=dt.timezone.utc)


def _runs(monkeypatch, folder: Path, state: str, cache: Path) -> dict:
    """validate (text and JSON) and plan (text and JSON), each without, and with, the cache
    (the plan made at one fixed time: its `created_at` is the only byte that could differ)."""
    monkeypatch.setattr(planner, "dt", types.SimpleNamespace(date=dt.date, datetime=_Noon, timezone=dt.timezone))
    out = {}
    for name, args in {"validate": ["validate", folder, "--today", TODAY],
                       "validate json": ["validate", folder, "--today", TODAY, "--format", "json"],
                       "plan": ["plan", folder, "--state", state, "--today", TODAY],
                       "plan json": ["plan", folder, "--state", state, "--today", TODAY, "--format", "json"]}.items():
        out[name] = [_cli(monkeypatch, c, *args) for c in (None, cache)]
    return out


def _assert_same(runs: dict) -> None:
    for name, (uncached, cached) in runs.items():
        assert cached == uncached, name


def _org(kind: str, tmp_path: Path) -> Path:
    folder = tmp_path / "org"
    if kind in ("riverside-health", "harbor-therapy"):
        shutil.copytree(REPO / "orgs" / kind, folder, ignore=shutil.ignore_patterns(".audit"))
    else:
        write_org(folder, with_mistakes(5000, 11, {"parse-and-schema": PARSE_AND_SCHEMA, "rules": RULES,
                                                   "none": []}[kind]))
    return folder


def _edit_one_file(folder: Path) -> None:
    """A one-file change, as a pull request makes."""
    people = sorted(folder.rglob("*.yaml"), key=lambda p: -p.stat().st_size)[0]
    text = people.read_text(encoding="utf-8")
    at = text.index("name: ") + len("name: ")
    people.write_text(text[:at] + "Renamed " + text[at:], encoding="utf-8")


@pytest.mark.parametrize("org", ["riverside-health", "harbor-therapy", "none", "parse-and-schema", "rules"])
def test_cached_and_uncached_runs_give_the_same_bytes(org, tmp_path, monkeypatch):
    folder, cache = _org(org, tmp_path), tmp_path / "cache"
    monkeypatch.chdir(tmp_path)
    state = f"sqlite:///{tmp_path / 'state.db'}"
    first = _runs(monkeypatch, folder, state, cache)  # the cache filled
    _assert_same(first)
    entries = sorted(os.listdir(cache))
    assert entries, "nothing was cached"
    second = _runs(monkeypatch, folder, state, cache)  # read from it
    _assert_same(second)
    assert second == first
    assert sorted(os.listdir(cache)) == entries  # a hit writes nothing
    _edit_one_file(folder)
    third = _runs(monkeypatch, folder, state, cache)
    _assert_same(third)
    if first["plan json"][0][0] == 0:
        assert third["plan json"][0] != first["plan json"][0]  # the change is seen
    else:  # the mistakes refuse the plan, before and after
        assert third["plan json"][0][0] == first["plan json"][0][0] == 1
    assert len(os.listdir(cache)) == len(entries) + 1  # that file alone read again


def test_a_warm_validation_reads_only_the_changed_file(tmp_path, monkeypatch):
    folder, cache = _org("none", tmp_path), ReadCache(tmp_path / "cache")
    validate(folder, cache=cache)
    files = len(os.listdir(cache.folder))
    assert files > 5 and cache.hits == 0
    _edit_one_file(folder)
    read = []
    real = fastyaml.documents
    monkeypatch.setattr(fastyaml, "documents", lambda text: read.append(text) or real(text))
    monkeypatch.setattr(loader, "SPLIT_FROM", 1 << 62)  # every file read in this process, where it is counted
    again = ReadCache(cache.folder)
    result = validate(folder, cache=again)
    assert result.ok
    uncacheable = len(list(folder.rglob("*.yaml"))) - files  # read exactly (numbers, say): looked up each time
    assert (again.hits, again.misses, len(read)) == (files - 1, 1 + uncacheable, 1 + uncacheable)


def test_files_with_findings_and_templates_are_never_cached(tmp_path):
    folder, cache = _org("parse-and-schema", tmp_path), ReadCache(tmp_path / "cache")
    result = validate(folder, cache=cache)
    failing = {d.file for d in result.diagnostics if d.code.startswith(("YAML", "SCH", "DOC"))}
    assert failing
    assert cache.hits == 0
    again = ReadCache(cache.folder)
    validate(folder, cache=again)
    assert again.misses >= len(failing)  # each failing file looked up, found missing, read
    cached = set(os.listdir(cache.folder))
    for file in failing:
        assert again.key(Path(file).read_bytes()) not in cached


def _damaged(entry: bytes) -> dict[str, bytes]:
    good = json.loads(entry)
    value = good["documents"][0][3]
    deep = b'{"format": 1, "size": ' + str(good["size"]).encode() + b', "documents": ' + b"[" * 100_000 + b"]" * 100_000 + b"}"
    return {
        "not JSON": b"\x00\xff garbage",
        "cut short": entry[: len(entry) // 2],
        "another format": json.dumps({**good, "format": 99}).encode(),
        "another size": json.dumps({**good, "size": good["size"] + 1}).encode(),
        "a number in a value": json.dumps({**good, "documents": [[0, 0, 0, {**value, "kind": 1}]]}).encode(),
        "a negative line": json.dumps({**good, "documents": [[0, -1, 0, value]]}).encode(),
        "no mapping": json.dumps({**good, "documents": [[0, 0, 0, [value]]]}).encode(),
        "nested beyond reason": deep,
        "far too large": entry + b" " * (5 * good["size"]),
        "a list": b"[]",
    }


def test_a_damaged_entry_is_a_miss_and_changes_nothing(tmp_path, monkeypatch):
    folder, cache_dir = _org("riverside-health", tmp_path), tmp_path / "cache"
    monkeypatch.chdir(tmp_path)
    expected = _cli(monkeypatch, None, "validate", folder, "--today", TODAY, "--format", "json")
    validate(folder, cache=ReadCache(cache_dir))
    name = max(os.listdir(cache_dir), key=lambda n: (cache_dir / n).stat().st_size)
    entry = (cache_dir / name).read_bytes()
    for what, damaged in _damaged(entry).items():
        (cache_dir / name).write_bytes(damaged)
        cache = ReadCache(cache_dir)
        assert cache.get(name, json.loads(entry)["size"]) is None, what
        assert _cli(monkeypatch, cache_dir, "validate", folder, "--today", TODAY, "--format", "json") == expected, what


def test_an_entry_that_is_no_regular_file_is_a_miss_without_waiting(tmp_path, monkeypatch):
    folder, cache_dir = _org("riverside-health", tmp_path), tmp_path / "cache"
    monkeypatch.chdir(tmp_path)
    expected = _cli(monkeypatch, None, "validate", folder, "--today", TODAY)
    validate(folder, cache=ReadCache(cache_dir))
    names = sorted(os.listdir(cache_dir))
    assert len(names) >= 3
    sizes = {name: json.loads((cache_dir / name).read_bytes())["size"] for name in names}
    (tmp_path / "elsewhere").write_bytes((cache_dir / names[1]).read_bytes())
    assert ReadCache(cache_dir).get(names[1], sizes[names[1]]) is not None  # the entry itself is good
    for name in names:
        os.unlink(cache_dir / name)
    os.mkfifo(cache_dir / names[0])  # would block a plain open() for ever
    os.symlink(tmp_path / "elsewhere", cache_dir / names[1])  # a link, even to a good entry
    (cache_dir / names[2]).mkdir()
    cache = ReadCache(cache_dir)
    for name in names[:3]:
        assert cache.get(name, sizes[name]) is None
    assert (cache.hits, cache.misses) == (0, 3)
    assert _cli(monkeypatch, cache_dir, "validate", folder, "--today", TODAY) == expected


@pytest.mark.parametrize("forgery", ["id a mapping", "grants a list", "unknown kind", "no kind"])
def test_an_entry_the_schemas_refuse_is_a_miss(tmp_path, monkeypatch, forgery):
    """A forged entry of plain values is checked against the schemas again: never an
    internal error, never a person dropped without a finding."""
    folder, cache_dir = _org("riverside-health", tmp_path), tmp_path / "cache"
    monkeypatch.chdir(tmp_path)
    expected = _cli(monkeypatch, None, "validate", folder, "--today", TODAY, "--format", "json")
    validate(folder, cache=ReadCache(cache_dir))
    forged = 0
    for name in os.listdir(cache_dir):
        entry = json.loads((cache_dir / name).read_bytes())
        for doc in entry["documents"]:
            value = doc[3]
            if value.get("kind") == "Person":
                if forgery == "id a mapping":
                    value["id"] = {"x": "y"}
                elif forgery == "grants a list":
                    value["grants"] = ["x"]
                elif forgery == "unknown kind":
                    value["kind"] = "Nope"
                else:
                    del value["kind"]
                forged += 1
        (cache_dir / name).write_text(json.dumps(entry))
    assert forged
    cache = ReadCache(cache_dir)
    assert _cli(monkeypatch, cache_dir, "validate", folder, "--today", TODAY, "--format", "json") == expected
    validate(folder, cache=cache)
    assert cache.misses >= 1


def test_apply_of_a_folder_never_reads_the_cache(tmp_path, monkeypatch):
    """`apply ORG_DIR --auto-approve` plans from the files: a forged entry changes nothing."""
    folder, cache_dir = _org("riverside-health", tmp_path), tmp_path / "cache"
    monkeypatch.chdir(tmp_path)
    state = f"sqlite:///{tmp_path / 'state.db'}"
    validate(folder, cache=ReadCache(cache_dir))
    for name in os.listdir(cache_dir):
        text = (cache_dir / name).read_text()
        (cache_dir / name).write_text(text.replace('"name":"', '"name":"Forged '))
    code, out = _cli(monkeypatch, cache_dir, "apply", folder, "--auto-approve", "--state", state, "--today", TODAY,
                     "--actor", "ci")
    assert code == 0 and "Forged" not in out, out
    code, out = _cli(monkeypatch, None, "plan", folder, "--state", state, "--today", TODAY)
    assert code == 0 and "No changes" in out


def test_a_forged_entry_can_change_the_plan_shown_but_apply_refuses_it(tmp_path, monkeypatch):
    """Whoever can write the cache can make `plan` show what they like (the cache is trusted
    like the state); `apply` reads the files themselves, so the forged plan never lands."""
    folder, cache_dir = _org("riverside-health", tmp_path), tmp_path / "cache"
    monkeypatch.chdir(tmp_path)
    state = f"sqlite:///{tmp_path / 'state.db'}"
    cache = ReadCache(cache_dir)
    validate(folder, cache=cache)
    for name in os.listdir(cache_dir):
        entry = json.loads((cache_dir / name).read_bytes())
        for doc in entry["documents"]:
            if doc[3].get("kind") == "Person" and "name" in doc[3]:
                doc[3]["name"] = "Forged Name"
                (cache_dir / name).write_text(json.dumps(entry))
                break
        else:
            continue
        break
    else:
        pytest.fail("no person cached")
    code, shown = _cli(monkeypatch, cache_dir, "plan", folder, "--state", state, "--today", TODAY,
                       "--out", tmp_path / "forged.json")
    assert code == 0 and "Forged Name" in shown
    code, out = _cli(monkeypatch, cache_dir, "apply", tmp_path / "forged.json", "--state", state, "--today", TODAY,
                     "--actor", "ci")
    assert code == 1 and "differ from what the config and state produce" in out, out
    assert "Forged Name" not in _cli(monkeypatch, None, "plan", folder, "--state", state, "--today", TODAY)[1]


def test_another_reader_or_schema_is_another_key(tmp_path, monkeypatch):
    folder = _org("riverside-health", tmp_path)
    cache = ReadCache(tmp_path / "cache")
    validate(folder, cache=cache)
    before = set(os.listdir(cache.folder))
    monkeypatch.setattr(readcache, "FORMAT", readcache.FORMAT + 1)  # as a changed reader, checker or schema would
    other = ReadCache(cache.folder)
    validate(folder, cache=other)
    after = set(os.listdir(cache.folder))
    assert other.hits == 0 and len(after - before) == len(before)


def test_a_cache_that_cannot_be_written_is_no_error(tmp_path, monkeypatch):
    folder = _org("riverside-health", tmp_path)
    monkeypatch.chdir(tmp_path)
    blocked = tmp_path / "blocked"
    blocked.write_text("a file where the cache folder would be")
    expected = _cli(monkeypatch, None, "validate", folder, "--today", TODAY)
    assert _cli(monkeypatch, blocked / "cache", "validate", folder, "--today", TODAY) == expected


def test_the_least_recently_used_entries_go_and_nothing_else(tmp_path, monkeypatch):
    cache = ReadCache(tmp_path / "cache")
    cache.folder.mkdir()
    for i in range(130):
        path = cache.folder / f"read-{i:064x}.json"
        path.write_text("{}")
        os.utime(path, (i, i))
    others = [f"{0:064d}", f"read-{0:064x}.json.bak", "notes.txt"]  # the user's own files, however named
    for name in others:
        (cache.folder / name).write_text("kept")
        os.utime(cache.folder / name, (0, 0))
    cache.prune(files=10)  # keeps max(100, 4 × 10)
    left = set(os.listdir(cache.folder))
    assert len(left) == 100 + len(others) and set(others) <= left
    assert f"read-{0:064x}.json" not in left and f"read-{129:064x}.json" in left
