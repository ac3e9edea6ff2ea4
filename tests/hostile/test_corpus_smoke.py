"""The corpus runner itself: a good org passes the checks, a hang and a traceback are caught."""

from __future__ import annotations

import pytest

from .corpus import Case, check


def test_a_bad_reference_is_located(tmp_path):
    case = Case("ref", files={"extra.yaml": """
        kind: Group
        id: g1
        name: G
        specialty: orthopedics
        office: nowhere
        role: sender
        members: []
        """}, expect=r"REF001", located=r"extra\.yaml:\d+")
    check(case, tmp_path)


def test_the_runner_fails_a_case_whose_expectation_is_wrong(tmp_path):
    with pytest.raises(AssertionError, match="not in"):
        check(Case("valid", expect=r"no such message", exit=0), tmp_path)
