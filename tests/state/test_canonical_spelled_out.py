"""The audit log's fixed-shape records are encoded by hand for speed (row_content,
resource_line, after_text); each must give exactly what canonical() gives, or every
verification of an existing state would fail."""

from __future__ import annotations

import json
import random

from provisioner.state.audit import canonical, row_content
from provisioner.state.integrity import after_text, resource_line

ALPHABET = 'abc "\\/\n\t\x00\x1f\x7f é€😀\u2028\ud7ff{}[]:,'


def _text(rnd: random.Random) -> str:
    return "".join(rnd.choice(ALPHABET) for _ in range(rnd.randint(0, 12)))


def test_spelled_out_records_equal_canonical():
    rnd = random.Random(7)
    memo: dict[str, str] = {}  # kept across rows, as verification keeps it: fields repeat and swap places
    for _ in range(2000):
        t = [_text(rnd) for _ in range(7)]
        if rnd.random() < 0.5:
            t[0], t[1], t[2], t[4] = rnd.sample(["2026-11-24", "ci@x.example", "sha256:ab", "create", t[0]], 4)
        seq = rnd.choice([0, 1, 47021, 10**12])
        want = canonical({"seq": seq, "at": t[0], "actor": t[1], "plan_digest": t[2], "address": t[3],
                          "action": t[4], "before": t[5], "after": t[6]})
        assert row_content(seq, *t) == want
        assert row_content(seq, *t, memo=memo) == want
        assert resource_line(t[0], t[1], t[2], t[3], seq) == canonical([t[0], t[1], t[2], t[3], seq])
        attrs = canonical({"k": t[4]})
        assert after_text(t[0], t[1], attrs) == canonical({"attributes": json.loads(attrs), "kind": t[0],
                                                          "status": t[1]})


def test_other_types_still_take_canonical():
    assert row_content(1, "a", None, "d", "x", "create", "null", "{}") == canonical({
        "seq": 1, "at": "a", "actor": None, "plan_digest": "d", "address": "x", "action": "create",
        "before": "null", "after": "{}"})
    assert resource_line("a", "k", "active", "{}", None) == '["a","k","active","{}",null]'
    assert row_content(True, "a", "b", "c", "d", "e", "f", "g").endswith('"seq":true}')


def test_a_full_memo_starts_again_and_still_gives_canonical(monkeypatch):
    from provisioner.state import audit

    monkeypatch.setattr(audit, "MEMO_LIMIT", 3)
    memo: dict[str, str] = {}
    for i in range(50):
        fields = (f"at{i % 7}", f"actor{i % 5}", f"d{i}", f"a{i}", "create", "null", '{"x":1}')
        assert row_content(i, *fields, memo=memo) == row_content(i, *fields)
        assert len(memo) <= 3 + 4
