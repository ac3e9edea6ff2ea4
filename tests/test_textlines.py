"""split_lines breaks lines where YAML 1.2 does (LF, CR, CRLF), and nowhere else, whichever
way it splits the text."""

from __future__ import annotations

import random

import pytest

from provisioner.textlines import split_lines


@pytest.mark.parametrize("text, lines", [
    ("", []),
    ("a", ["a"]),
    ("a\nb\n", ["a", "b"]),
    ("a\n\nb", ["a", "", "b"]),
    ("a\r\nb\rc\n", ["a", "b", "c"]),
    ("a\r\n\r\nb", ["a", "", "b"]),
    ("a\x85b\u2028c\u2029d\n", ["a\x85b\u2028c\u2029d"]),  # YAML 1.1's extra breaks are no breaks
    ("a\x85b\rc", ["a\x85b", "c"]),
])
def test_lines_break_where_yaml_1_2_breaks_them(text, lines):
    assert split_lines(text) == lines


def test_a_text_without_cr_splits_as_one_with_cr_counts_its_lines():
    """The same text with each LF written CRLF gives the same lines (the two ways of splitting)."""
    rng = random.Random(20261125)
    for _ in range(300):
        text = "".join(rng.choice(["a", " ", "\n", "\x85", "\u2028", "#"]) for _ in range(rng.randint(0, 40)))
        assert split_lines(text.replace("\n", "\r\n")) == split_lines(text)
        assert len(split_lines(text)) == text.count("\n") + (0 if text.endswith("\n") or not text else 1)
