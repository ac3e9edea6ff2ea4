"""Bad PostgreSQL state URLs: each is an `error: …` naming the state without its password,
never a traceback, and nothing is written."""

from __future__ import annotations

import pytest

from tests.hostile.corpus import Case, check, ids

_NO_SECRET = r"(?s)^(?!.*topsecret)"  # the whole output, anywhere
_VERIFY = ("state", "verify", "testorg", "--state")

CASES = [
    Case("pg-unreachable-password-in-url", _NO_SECRET + r".*cannot connect to the PostgreSQL state at "
         r"postgresql://u@127\.0\.0\.1:1/db:", args=(*_VERIFY, "postgresql://u:topsecret@127.0.0.1:1/db")),
    Case("pg-password-in-query", _NO_SECRET + r".*cannot connect .* postgresql://u@127\.0\.0\.1:1/db\?sslmode=disable",
         args=(*_VERIFY, "postgresql://u@127.0.0.1:1/db?password=topsecret&sslmode=disable")),
    Case("pg-url-does-not-parse", _NO_SECRET + r".*a URL that does not parse",
         args=(*_VERIFY, "postgresql://u:topsecret@[::1/db")),
    Case("pg-bad-port", _NO_SECRET + r".*a URL that does not parse", args=(*_VERIFY, "postgresql://u:topsecret@h:port/db")),
    Case("pg-bad-option", _NO_SECRET + r".*invalid sslmode value",
         args=(*_VERIFY, "postgresql://u:topsecret@127.0.0.1:1/db?sslmode=bogus")),
    Case("pg-plan-unreachable", _NO_SECRET + r".*cannot connect to the PostgreSQL state",
         args=("plan", "{org}", "--state", "postgresql://u:topsecret@127.0.0.1:1/db")),
    Case("pg-env-url-unreachable", _NO_SECRET + r".*cannot connect to the PostgreSQL state at postgresql://u@",
         args=("state", "list", "testorg"), env={"PROVISIONER_STATE": "postgresql://u:topsecret@127.0.0.1:1/db"}),
]


@pytest.mark.parametrize("case", CASES, ids=ids(CASES))
def test_postgres_urls(case, tmp_path):
    check(case, tmp_path)
