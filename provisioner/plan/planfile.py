"""The saved plan: a versioned JSON document, its checksum, and the config digest.

The document is what renderers and apply read; nothing else crosses from plan to apply.
Its checksum covers every field but itself, so an edited file is refused; the config
digest pins the org folder the plan was made from. Plans never hold secrets.
"""

from __future__ import annotations

import hashlib
import json
import os
from pathlib import Path

from ..state.audit import canonical
from ..state.backend import StateError

FORMAT_VERSION = "1"


class PlanFileError(StateError):
    """A saved plan that cannot be applied; the message says to plan again."""


def config_digest(root: str | Path) -> str:
    """sha256 over exactly the files the loader reads (YAML and templates): sorted paths and
    bytes. A README or notes file beside them does not make a plan stale."""
    from ..loader import discover

    root = Path(root)
    h = hashlib.sha256()
    plain, templates = discover(root)
    files = sorted(plain + templates)
    for path in files:
        data = path.read_bytes()
        rel = path.relative_to(root).as_posix().encode("utf-8")
        h.update(len(rel).to_bytes(8, "big") + rel + len(data).to_bytes(8, "big") + data)
    return "sha256:" + h.hexdigest()


def checksum(document: dict) -> str:
    body = {k: v for k, v in document.items() if k != "checksum"}
    return "sha256:" + hashlib.sha256(canonical(body).encode("utf-8")).hexdigest()


def seal(document: dict) -> dict:
    document = dict(document)
    document["checksum"] = checksum(document)
    return document


def dumps(document: dict) -> str:
    """The document as JSON with one line per top-level field and one line per change or
    finding: readable and greppable, diff-friendly, and written by the C encoder (an indented
    dump of a 100,000-change plan takes the pure-Python one, several times slower)."""
    def one(value) -> str:
        return json.dumps(value, ensure_ascii=False)

    fields = []
    for key, value in document.items():
        if isinstance(value, list) and value and all(isinstance(v, dict) for v in value):
            rows = ",\n".join("    " + one(v) for v in value)
            fields.append(f"  {one(key)}: [\n{rows}\n  ]")
        else:
            fields.append(f"  {one(key)}: {one(value)}")
    return "{\n" + ",\n".join(fields) + "\n}\n"


def write_plan(document: dict, path: str | Path) -> None:
    """Save the plan owner-only (0600; a folder made for it 0700), whatever the umask: it
    holds people's names, e-mails and rights."""
    path = Path(path)
    if path.parent and not path.parent.exists():
        path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
        os.chmod(path.parent, 0o700)
    tmp = path.with_name(path.name + ".tmp")
    _write_private(tmp, dumps(document))
    os.replace(tmp, path)


def _write_private(path: Path, text: str) -> None:
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as f:
        os.fchmod(f.fileno(), 0o600)
        f.write(text)


def read_plan(path: str | Path) -> dict:
    """Load a saved plan and check it is intact (format version and checksum)."""
    try:
        document = json.loads(Path(path).read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise PlanFileError(f"no plan file at {path}") from None
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise PlanFileError(f"{path} is not a plan file (not JSON: {exc}); run `provisioner plan --out` "
                            "again") from None
    check_structure(document, str(path))
    check_document(document, str(path))
    return document


def check_structure(document, name: str) -> None:
    """The document has the shape of schemas/plan.schema.json (else it is no plan of ours)."""
    from jsonschema import Draft202012Validator
    from jsonschema.exceptions import best_match

    from ..schemacheck import compiled_validator, schema_file

    if compiled_validator("plan.schema.json")(document):  # fast path; jsonschema explains failures
        return
    schema = schema_file("plan.schema.json")
    problem = best_match(Draft202012Validator(schema).iter_errors(document))
    if problem is not None:
        where = "/".join(str(p) for p in problem.absolute_path) or "the top level"
        raise PlanFileError(f"{name} is not a provisioner plan: at {where}: {problem.message}; "
                            "run `provisioner plan --out` again")


def check_document(document: dict, name: str = "the plan") -> None:
    if not isinstance(document, dict) or "format_version" not in document:
        raise PlanFileError(f"{name} is not a provisioner plan; run `provisioner plan --out` again")
    if document["format_version"] != FORMAT_VERSION:
        raise PlanFileError(f"{name} has plan format {document['format_version']!r}, this provisioner reads "
                            f"{FORMAT_VERSION!r}; run `provisioner plan` again")
    if document.get("checksum") != checksum(document):
        raise PlanFileError(f"{name} was altered after it was made (checksum mismatch); it will not be "
                            "applied: run `provisioner plan` again")
