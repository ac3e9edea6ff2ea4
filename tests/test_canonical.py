"""canonical(): orjson where its text is the standard library's, the standard library
everywhere else; every checksum, digest and audit hash depends on the two never parting."""

from __future__ import annotations

import datetime as dt
import enum
import json
import math
import random
import shutil
import struct
from collections import OrderedDict
from pathlib import Path

import pytest

from provisioner import canonical as module
from provisioner.canonical import canonical, canonical_strict

STANDARD = json.JSONEncoder(sort_keys=True, separators=(",", ":"), ensure_ascii=False, default=str).encode
STRICT = json.JSONEncoder(sort_keys=True, separators=(",", ":"), ensure_ascii=False, allow_nan=False).encode


def standard_or_error(encode, value):
    try:
        return encode(value)
    except (TypeError, ValueError) as exc:
        return type(exc)


def test_orjson_is_used():
    """The fast encoder is installed (a dependency): without it these tests prove only the fallback."""
    assert module.orjson is not None
    assert module._fast({"b": [1, "é"], "a": None}) == '{"a":null,"b":[1,"é"]}'.encode()


class Level(enum.IntEnum):
    HIGH = 2


class Word(str):
    pass


EDGES = [
    # floats where orjson and the standard library write different texts, and either side of them
    1e-05, 9.99e-05, 1.5e-07, 1e-09, 1e-10, 1.234e-10, 0.0001, 0.00012, 1e-4, 1e16, 1.5e16, 1e21, 1e22,
    5e-324, -0.0, 0.1, 100.0, 1.7976931348623157e308, -2.5e-06,
    # strings: escapes, controls, DEL, line separators, astral, strings that look like small floats
    "\x00\x01\x1f\x7f\u2028\u2029\ud7ff\ue000\U0001f600", 'a"b\\c\n\t\r\b\f', "0.00001", "office-1", "e-7",
    "x e-1, y", "caf\u00e9",
    # integers at and past 64 bits, booleans
    2**63 - 1, -(2**63), 2**63, 2**64, -(2**64) - 1, 10**40, True, False, None,
    # what orjson writes its own way or not at all: the standard library does
    dt.date(2026, 1, 2), dt.datetime(2026, 1, 2, 3, 4, 5), dt.time(1, 2), {1, 2}, frozenset(),
    Level.HIGH, Word("w"), OrderedDict(b=1, a=2), {1: "int key"}, {"a": {2: "nested int key"}},
    "\ud800 lone surrogate", ["\udfff"], (1, (2, 3)), {"t": (1,)}, {"é": 1, "e": 2, "\U0001f600": 3, "z": 4},
    {"a": [1e-06, "x"]}, [0.00001], {"k": 1.5e-07},
]


@pytest.mark.parametrize("value", EDGES, ids=repr)
def test_edges_give_the_standard_text(value):
    assert canonical(value) == STANDARD(value)
    assert standard_or_error(canonical_strict, value) == standard_or_error(STRICT, value)


def random_float(rng: random.Random) -> float:
    if rng.random() < 0.5:  # every exponent alike, the small ones included
        return float(f"{rng.uniform(1, 10):.{rng.randint(0, 17)}f}e{rng.randint(-330, 307)}") * rng.choice((1, -1))
    value = struct.unpack("d", rng.randbytes(8))[0]
    return value if math.isfinite(value) else 0.5


def random_string(rng: random.Random) -> str:
    pools = ["abcxyz-._@ ", "\x00\x01\x1f\x7f\"\\\n\t", "éß€\u2028\u2029", "\U0001f600\U00010000",
             "0123456789e-.+", "\ud800\udc00"]
    pool = "".join(rng.sample(pools, rng.randint(1, len(pools))))
    return "".join(rng.choice(pool) for _ in range(rng.randint(0, 12)))


def random_value(rng: random.Random, depth: int = 0):
    kinds = ["str", "int", "big", "float", "bool", "none"] + (["list", "dict", "tuple"] if depth < 4 else [])
    kind = rng.choice(kinds)
    if kind == "str":
        return random_string(rng)
    if kind == "int":
        return rng.randint(-(2**63), 2**63 - 1)
    if kind == "big":
        return rng.choice((1, -1)) * rng.randint(2**63 - 2, 2**70)
    if kind == "float":
        return random_float(rng)
    if kind == "bool":
        return rng.random() < 0.5
    if kind == "none":
        return None
    items = [random_value(rng, depth + 1) for _ in range(rng.randint(0, 5))]
    if kind == "list":
        return items
    if kind == "tuple":
        return tuple(items)
    return {random_string(rng): item for item in items}


def test_generated_values_give_the_standard_text():
    rng = random.Random(20261124)
    for _ in range(20_000):
        value = random_value(rng)
        assert canonical(value) == STANDARD(value), value
        assert standard_or_error(canonical_strict, value) == standard_or_error(STRICT, value), value


def test_small_floats_everywhere_fall_back():
    rng = random.Random(7)
    for _ in range(20_000):
        value = rng.uniform(1, 10) * 10.0 ** rng.randint(-12, -3)
        for shaped in (value, [value], {"v": value}, {"a": [1, {"b": -value}]}):
            assert canonical(shaped) == STANDARD(shaped)


def test_example_plans_and_states_give_the_standard_text(tmp_path, monkeypatch):
    """Every change, state row and audit row of the example orgs' plans and applies."""
    from provisioner.cli import main
    from provisioner.state import open_state

    root = Path(__file__).resolve().parents[1]
    for example in sorted((root / "orgs").iterdir()):
        org = tmp_path / example.name  # without its anchor: applied to a new state here
        shutil.copytree(example, org, ignore=shutil.ignore_patterns(".audit"))
        state = f"sqlite:///{tmp_path / (org.name + '.db')}"
        plan = tmp_path / f"{org.name}.json"
        for args in (["plan", str(org), "--out", str(plan), "--state", state, "--today", "2026-11-24"],
                     ["apply", str(plan), "--state", state, "--auto-approve"]):
            result = _invoke(main, args)
            assert result.exit_code in (0, 3), result.output
        document = json.loads(plan.read_text())
        assert document["changes"]
        for value in [document, *document["changes"], *document["diagnostics"]]:
            assert canonical(value) == STANDARD(value)
        backend = open_state(document["org"], state)
        try:
            resources = backend.read().resources
            assert resources
            for resource in resources.values():
                assert canonical(resource.attributes) == STANDARD(resource.attributes)
            log = backend.audit()
            assert log
            for row in log:
                for value in (row.before, row.after):
                    assert canonical(value) == STANDARD(value)
        finally:
            backend.close()


def _invoke(main, args):
    from click.testing import CliRunner

    return CliRunner().invoke(main, args, catch_exceptions=False)


def test_plain_bytes_give_the_standard_text_without_floats():
    """plain_bytes skips the float check: for the values its callers check (no float), the same text."""
    from provisioner.canonical import plain_bytes

    rng = random.Random(11)

    def no_floats(value):
        if type(value) is float:
            return 0
        if isinstance(value, (list, tuple)):
            return [no_floats(v) for v in value]
        if isinstance(value, dict):
            return {k: no_floats(v) for k, v in value.items()}
        return value

    for _ in range(10_000):
        value = no_floats(random_value(rng))
        try:
            want = STANDARD(value).encode("utf-8")
        except UnicodeEncodeError:  # a lone surrogate: refused alike
            with pytest.raises(UnicodeEncodeError):
                plain_bytes(value)
            continue
        assert plain_bytes(value) == want


def test_what_is_read_back_to_be_encoded_again_refuses_nan():
    """A state row or an evidence bundle holding NaN (which orjson would write as `null`,
    hiding an edit) is read as not JSON, never re-encoded."""
    from provisioner.canonical import loads
    from provisioner.report.bundlecheck import _rows
    from provisioner.state.backend import StateError, StoredResource

    for text in ('{"x": NaN}', '[Infinity]', '{"a": [-Infinity]}'):
        with pytest.raises(ValueError):
            loads(text)
    assert loads('{"x": null, "y": 1.5}') == {"x": None, "y": 1.5}
    problems: list[str] = []
    assert _rows('{"before": {"x": NaN}, "after": null}', problems) == [] and problems
    with pytest.raises(StateError):
        StoredResource("person.a", "person", '{"x": NaN}', "active").attributes


COMPACT = json.JSONEncoder(separators=(",", ":"), ensure_ascii=False).encode


def _each_or_error(each, values):
    try:
        return list(each(values))
    except (TypeError, ValueError, UnicodeEncodeError) as exc:
        return type(exc)


def _one_by_one_or_error(one, values):
    try:
        return [one(v) for v in values]
    except (TypeError, ValueError, UnicodeEncodeError) as exc:
        return type(exc)


MARKER = module._MARKER
TRICKY_RUNS = [
    [], [1], ["x"], [{"b": 1, "a": 2}, {"d": [1e-05]}, "y"],
    # the marker itself, next to itself, inside a value, after an escaped quote, as a key
    [MARKER], [MARKER, MARKER, MARKER], ["a", MARKER, "b"], [{"k": MARKER}, [MARKER, 1], '"' + MARKER],
    [MARKER + '"', '"' + MARKER + '"', {MARKER: MARKER}, "," + MARKER + ","],
    [[1, MARKER, 2], "z"], ["y", {"a": 1, "b": MARKER, "c": 2}],  # the cut, inside one value
    # a value orjson does not take, among plain ones: the whole run is encoded one by one
    [1, dt.date(2026, 1, 2), {"a": 1}], [{"x": 1.5e-07}, 2, 3], [2**64, "x"], ["ok", Word("w")],
]


@pytest.mark.parametrize("values", TRICKY_RUNS, ids=repr)
def test_many_at_once_is_each_one_alone(values):
    """canonical_each and compact_each give, value by value, exactly canonical_bytes and compact_bytes."""
    assert _each_or_error(module.canonical_each, values) == _one_by_one_or_error(module.canonical_bytes, values)
    assert _each_or_error(module.compact_each, values) == _one_by_one_or_error(module.compact_bytes, values)
    assert _each_or_error(module.canonical_each, values) == _one_by_one_or_error(
        lambda v: STANDARD(v).encode(), values)
    assert _each_or_error(module.compact_each, values) == _one_by_one_or_error(lambda v: COMPACT(v).encode(), values)


def test_many_at_once_on_generated_runs_across_chunks(monkeypatch):
    """Runs longer than a chunk, of generated values (floats, controls, the marker among
    them), from a generator as from a list: the same texts as one at a time."""
    monkeypatch.setattr(module, "EACH_CHUNK", 7)
    rng = random.Random(20261125)
    for _ in range(400):
        values = [MARKER if rng.random() < 0.03 else random_value(rng) for _ in range(rng.randint(0, 30))]
        values = [v for v in values if _one_by_one_or_error(module.canonical_bytes, [v]) is not UnicodeEncodeError]
        assert list(module.canonical_each(iter(values))) == [module.canonical_bytes(v) for v in values]
        assert list(module.compact_each(values)) == [module.compact_bytes(v) for v in values]


def _strict_or_none(value):
    try:
        return module.canonical_strict(value)
    except (TypeError, ValueError):
        return None


@pytest.mark.parametrize("values", TRICKY_RUNS + [[1, {"x": float("nan")}, "y"], [{3, 4}, "s"], [b"b", 2], ["\ud800", {"a": "x\udfff"}, 1]], ids=repr)
def test_strict_each_is_canonical_strict_or_none_one_by_one(values, monkeypatch):
    """strict_each gives canonical_strict's text of each value, None where it raises (a
    date, a set, bytes): never a text the strict encoder would not write."""
    monkeypatch.setattr(module, "EACH_CHUNK", 2)
    assert list(module.strict_each(values)) == [_strict_or_none(v) for v in values]
    assert None in [_strict_or_none(v) for v in (dt.date(2026, 1, 2), {1}, b"x")]


def test_many_at_once_takes_the_fast_path(monkeypatch):
    """A run of plain values is encoded in one call per chunk, not one per value."""
    calls = []
    real = module._dumps
    monkeypatch.setattr(module, "_dumps", lambda *a, **k: calls.append(1) or real(*a, **k))
    values = [{"address": f"person.p{i}", "n": i} for i in range(2500)]
    assert list(module.canonical_each(values)) == [STANDARD(v).encode() for v in values]
    assert len(calls) == 3
