"""Hostile and mistaken input to the reconcile commands (drift, adopt, import): unknown
targets, change-file targets, missing state, malformed CSV exports, a bad `scim.merge`
and an unknown unmanaged-account policy. Each gets `error: …` naming the cause."""

from __future__ import annotations

import pytest

from .corpus import Case, check, ids

SCIM_TARGET = """
    kind: Target
    id: idp
    type: scim
    receives: [referral_accounts]
    scim: {url: "http://127.0.0.1:9/v2", token_env: NO_SUCH_TOKEN_VAR, timeout_seconds: 1, max_attempts: 1}
    """
EMR_TARGET = """
    kind: Target
    id: emr
    type: changefile
    receives: [emr_profiles]
    """


def _csv(text: str):
    def setup(tmp, org):
        (tmp / "export.csv").write_text(text, encoding="utf-8")
    return setup


CASES = [
    Case("drift-unknown-target", expect=r"error: no target nosuch in", args=("drift", "nosuch", "--org", "{org}"),
         files={"targets.yaml": SCIM_TARGET}),
    Case("drift-changefile-target", expect=r"error: target emr is not a scim target",
         args=("drift", "emr", "--org", "{org}"), files={"targets.yaml": EMR_TARGET}),
    Case("drift-no-scim-target", expect=r"error: .* has no SCIM target to read back",
         args=("drift", "--org", "{org}")),
    Case("drift-no-state", expect=r"error: .*(no state|does not exist|not found)",
         args=("drift", "--org", "{org}", "--state", "{state}"), files={"targets.yaml": SCIM_TARGET}),
    Case("adopt-token-unset", expect=r"error: target idp: the environment variable NO_SUCH_TOKEN_VAR",
         args=("adopt", "idp", "--org", "{org}", "--state", "{state}"), files={"targets.yaml": SCIM_TARGET}),
    Case("import-not-an-id", expect=r"error: 'Bad Name' is not a target id",
         args=("import", "Bad Name", "--out", "{org}")),
    Case("import-no-scim-target", expect=r"error: .* has no SCIM target idp",
         args=("import", "idp", "--out", "{org}")),
    Case("import-csv-no-user-name", expect=r"error: .*export\.csv:1: no user_name column",
         args=("import", "emr", "--out", "{org}", "--from-csv", "{tmp}/export.csv"),
         setup=_csv("login,active\nann@x.example,true\n"), located=r"export\.csv:1"),
    Case("import-csv-unknown-column", expect=r"error: .*export\.csv:1: unknown column phone",
         args=("import", "emr", "--out", "{org}", "--from-csv", "{tmp}/export.csv"),
         setup=_csv("user_name,phone\nann@x.example,555\n"), located=r"export\.csv:1"),
    Case("import-csv-bad-boolean", expect=r"error: .*export\.csv:3: column active is 'maybe'",
         args=("import", "emr", "--out", "{org}", "--from-csv", "{tmp}/export.csv"),
         setup=_csv("user_name,active\nann@x.example,true\nbo@x.example,maybe\n"), located=r"export\.csv:3"),
    Case("import-csv-empty-login", expect=r"error: .*export\.csv:2: user_name is empty",
         args=("import", "emr", "--out", "{org}", "--from-csv", "{tmp}/export.csv"),
         setup=_csv("user_name,active\n,true\n"), located=r"export\.csv:2"),
    Case("import-csv-not-utf8", expect=r"error: .*export\.csv: cannot be read",
         args=("import", "emr", "--out", "{org}", "--from-csv", "{tmp}/export.csv"),
         setup=lambda tmp, org: (tmp / "export.csv").write_bytes(b"user_name\n\xff\xfe@x\n")),
    Case("merge-of-an-identity-attribute", expect=r"SCHEMA\d+.*userName",
         files={"targets.yaml": SCIM_TARGET.replace("max_attempts: 1}", "max_attempts: 1, merge: [userName]}")},
         located=r"targets\.yaml:\d+"),
    Case("unknown-unmanaged-policy", expect=r"SCHEMA\d+.*delete", located=r"org\.yaml:\d+",
         setup=lambda tmp, org: (org / "org.yaml").write_text((org / "org.yaml").read_text().replace(
             "master_group: lakeside\n", "master_group: lakeside\npolicy: {unmanaged_accounts: delete}\n", 1))),
]


@pytest.mark.parametrize("case", CASES, ids=ids(CASES))
def test_reconcile_input(case, tmp_path):
    check(case, tmp_path)
