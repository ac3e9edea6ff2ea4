"""The saved plan is hashed and written a piece at a time, never whole in memory; its
checksum and its bytes are those of the whole-document forms: sha256 of canonical JSON of
every field but the checksum, and one line per top-level field and per list element (the
element as compact JSON, its keys in their order)."""

from __future__ import annotations

import datetime as dt
import hashlib
import json

from bench.generate import generate_org, write_org
from provisioner.plan import make_plan
from provisioner.plan.planfile import checksum, dumps, write_plan
from provisioner.state import Snapshot
from provisioner.state.audit import canonical

TODAY = dt.date(2026, 11, 23)


def _whole_checksum(document: dict) -> str:
    body = {k: v for k, v in document.items() if k != "checksum"}
    return "sha256:" + hashlib.sha256(canonical(body).encode("utf-8")).hexdigest()


def _whole_dumps(document: dict) -> str:
    one = lambda value: json.dumps(value, ensure_ascii=False)  # noqa: E731
    fields = []
    for key, value in document.items():
        if isinstance(value, list) and value and all(isinstance(v, dict) for v in value):
            rows = ",\n".join("    " + json.dumps(v, ensure_ascii=False, separators=(",", ":")) for v in value)
            fields.append(f"  {one(key)}: [\n{rows}\n  ]")
        else:
            fields.append(f"  {one(key)}: {one(value)}")
    return "{\n" + ",\n".join(fields) + "\n}\n"


SHAPES = [
    {"format_version": "1", "changes": [], "diagnostics": [], "summary": {"create": 0}},
    {"b": [1, "x", None], "a": [{"k": "é"}, {"k": "\u2028"}], "c": {"z": [], "y": {}}, "checksum": "ignored"},
    {"rows": [{"n": i, "t": "😀" * (i % 3)} for i in range(2500)], "mixed": [{"a": 1}, 2]},
    # where orjson's text parts from the standard library's: the line is the standard library's
    {"changes": [{"z": 1e-05, "y": 1.5e-07, "x": 1e16, "w": 2 ** 70, "v": 0.1, "u": -0.0, "t": "e-5"}]},
]


def test_pieces_give_the_whole_forms_on_every_shape():
    for doc in SHAPES:
        assert checksum(doc) == _whole_checksum(doc)
        assert dumps(doc) == _whole_dumps(doc)


def test_a_generated_plan_is_written_and_hashed_as_a_whole(tmp_path):
    write_org(tmp_path / "org", generate_org(1200, seed=3, today=TODAY))
    document = make_plan(tmp_path / "org", snapshot=Snapshot(None, 0), today=TODAY).document
    assert len(document["changes"]) > 2000  # more than one piece of 1,000 rows
    assert document["checksum"] == _whole_checksum(document)
    write_plan(document, tmp_path / "plan.json")
    assert (tmp_path / "plan.json").read_text(encoding="utf-8") == _whole_dumps(document)

