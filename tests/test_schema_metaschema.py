"""Every file in schemas/ is a valid JSON Schema by `check-jsonschema --check-metaschema`,
which also holds each `pattern` to ECMA-262, the regex dialect editors (JavaScript) use: a
Python-only `\\Z` would make the YAML language server reject valid values."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path

from provisioner.schemacheck import SCHEMA_DIR

CHECK = Path(sys.executable).parent / "check-jsonschema"


def check_metaschema(*files: Path) -> subprocess.CompletedProcess:
    return subprocess.run([str(CHECK), "--check-metaschema", *map(str, files)],
                          capture_output=True, text=True, timeout=60)


def test_every_schema_passes_check_jsonschema_and_a_python_only_pattern_does_not(tmp_path):
    """One run over schemas/ and a control schema with `\\Z`: only the control is refused."""
    files = sorted(SCHEMA_DIR.glob("*.json"))
    assert {f.name for f in files} >= {"document.schema.json", "target.schema.json", "person.schema.json"}
    bad = tmp_path / "control.schema.json"
    bad.write_text(json.dumps({"$schema": "https://json-schema.org/draft/2020-12/schema",
                               "type": "string", "pattern": "^[A-Z]+\\Z"}))
    done = check_metaschema(*files, bad)
    errors = [line.strip() for line in done.stdout.splitlines() if "::$" in line]
    assert done.returncode == 1
    assert errors == [f"{bad}::$.pattern: '^[A-Z]+\\\\Z' is not a 'regex'"], done.stdout + done.stderr


def patterns(node):
    if isinstance(node, dict):
        if isinstance(node.get("pattern"), str):
            yield node["pattern"]
        for value in node.values():
            yield from patterns(value)
    elif isinstance(node, list):
        for value in node:
            yield from patterns(value)


def test_target_patterns_end_at_the_true_end_in_python_too():
    """`$(?!\\n)`: the end of the text in JavaScript and in Python, whose bare `$` would also
    match before a final newline (an environment-variable name "TOKEN\\n")."""
    found = list(patterns(json.loads((SCHEMA_DIR / "target.schema.json").read_text())))
    ended = [p for p in found if p.endswith("$(?!\\n)")]
    assert len(ended) == len(found) == 6
    for pattern in ended:
        assert not re.search(pattern, "SCIM_TOKEN\n") and not re.search(pattern, "out/changes\n")
    assert re.search(ended[3], "SCIM_TOKEN") and re.search(ended[0], "riverside-okta")
    assert re.search(ended[1], "Riverside Okta") and not re.search(ended[1], "Riverside\nOkta")
