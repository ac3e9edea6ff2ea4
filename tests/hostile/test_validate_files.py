"""Bad inputs to `provisioner validate-files` (the pre-commit hook's command)."""

from __future__ import annotations

import pytest

from .corpus import Case, check, ids


def _stray(tmp, org):
    (tmp / "loose").mkdir()
    (tmp / "loose" / "stray.yaml").write_text("kind: Person\n")


CASES = [
    Case("file-in-no-org", args=("validate-files", "loose/stray.yaml"), setup=_stray,
         expect=r"error: loose/stray\.yaml: no folder above it holds an Organization document \(ORG001\)"),
    Case("file-missing", args=("validate-files", "org/nope.yaml"), exit=2, expect=r"org/nope\.yaml.*does not exist"),
    Case("broken-yaml-in-org", args=("validate-files", "org/people.yaml"),
         files={"people.yaml": "kind: Person\nid: [unclosed\n"}, expect=r"YAML001", located=r"people\.yaml:\d+"),
]


@pytest.mark.parametrize("case", CASES, ids=ids(CASES))
def test_validate_files_bad_input(case, tmp_path):
    check(case, tmp_path)
