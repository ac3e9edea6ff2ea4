"""The audit log's records are hashed without making their text (row_digest) and the
after-text of a resource row is spelled out by hand (after_text); each must give exactly
what canonical() gives, or every verification of an existing state would fail."""

from __future__ import annotations

import json
import random

from provisioner.state.audit import canonical, row_content, row_digest, row_hash
from provisioner.state.integrity import after_text

ALPHABET = 'abc "\\/\n\t\x00\x1f\x7f é€😀\u2028\ud7ff{}[]:,e-1.0000'


def _text(rnd: random.Random) -> str:
    return "".join(rnd.choice(ALPHABET) for _ in range(rnd.randint(0, 12)))


def test_row_digests_and_after_texts_equal_canonical():
    rnd = random.Random(7)
    prev = "0" * 64
    for _ in range(2000):
        t = [_text(rnd) for _ in range(7)]
        if rnd.random() < 0.5:
            t[0], t[1], t[2], t[4] = rnd.sample(["2026-11-24", "ci@x.example", "sha256:ab", "create", t[0]], 4)
        seq = rnd.choice([0, 1, 47021, 10**12, 2**64])
        want = json.dumps({"seq": seq, "at": t[0], "actor": t[1], "plan_digest": t[2], "address": t[3],
                           "action": t[4], "before": t[5], "after": t[6]},
                          sort_keys=True, separators=(",", ":"), ensure_ascii=False)
        assert row_content(seq, *t) == want
        assert row_digest(prev, seq, *t) == row_hash(prev, want)
        prev = row_hash(prev, want)
        attrs = canonical({"k": t[4]})
        assert after_text(t[0], t[1], attrs) == canonical({"attributes": json.loads(attrs), "kind": t[0],
                                                          "status": t[1]})


def test_other_types_still_take_canonical():
    assert row_content(1, "a", None, "d", "x", "create", "null", "{}") == canonical({
        "seq": 1, "at": "a", "actor": None, "plan_digest": "d", "address": "x", "action": "create",
        "before": "null", "after": "{}"})
    assert row_content(True, "a", "b", "c", "d", "e", "f", "g").endswith('"seq":true}')
    assert row_digest("p", True, "a", "b", "c", "d", "e", "f", "g") == \
        row_hash("p", row_content(True, "a", "b", "c", "d", "e", "f", "g"))
