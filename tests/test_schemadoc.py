"""schemas/document.schema.json (provisioner/schemadoc.py): one bundled schema for any
document, kept in step with the per-kind schemas, agreeing with them on every example
document and on broken ones."""

from __future__ import annotations

import copy
import json
from pathlib import Path

import pytest
from jsonschema import Draft202012Validator, FormatChecker

from provisioner import schemadoc
from provisioner.loader import load_folder
from provisioner.schemacheck import SCHEMA_DIR, SCHEMA_FILES, schema_of
from provisioner.vocabulary import KINDS

ROOT = Path(__file__).resolve().parent.parent
COMMITTED = SCHEMA_DIR / schemadoc.FILE_NAME


def validator(schema):
    return Draft202012Validator(schema, format_checker=FormatChecker())


DOCUMENT = validator(json.loads(COMMITTED.read_text(encoding="utf-8")))


def example_documents():
    return [doc for org in sorted((ROOT / "orgs").iterdir()) if org.is_dir()
            for doc in load_folder(org).documents]


def test_committed_document_schema_is_up_to_date():
    assert COMMITTED.read_text(encoding="utf-8") == schemadoc.render(), (
        "schemas/document.schema.json is stale: run `make docs` and commit it")


def test_every_kind_has_a_schema_and_a_branch():
    assert set(SCHEMA_FILES) == set(KINDS)
    schema = schemadoc.document_schema()
    Draft202012Validator.check_schema(schema)
    assert schema["required"] == ["kind"]
    assert schema["properties"]["kind"]["enum"] == list(KINDS)
    branches = {b["if"]["properties"]["kind"]["const"]: b["then"] for b in schema["allOf"]}
    assert list(branches) == list(KINDS)
    for kind, then in branches.items():
        assert then["properties"] == schema_of(kind)["properties"]
        assert then["required"] == schema_of(kind)["required"]


def test_bundled_no_reference_to_resolve():
    text = COMMITTED.read_text(encoding="utf-8")
    assert '"$ref"' not in text and '"$dynamicRef"' not in text
    assert text.count('"$id"') == 1 and text.count('"$schema"') == 1
    # Its $id names it the way the per-kind schemas are named; nothing fetches it.
    assert DOCUMENT.schema["$id"].rsplit("/", 1)[0] == schema_of("Person")["$id"].rsplit("/", 1)[0]


def test_every_example_document_is_valid_and_every_kind_appears():
    documents = example_documents()
    assert len(documents) > 100
    for doc in documents:
        errors = [e.message for e in DOCUMENT.iter_errors(doc.data)]
        assert errors == [], f"{doc.file} document {doc.index}: {errors}"
    assert {doc.data["kind"] for doc in documents} == set(KINDS)


def test_kind_is_required_and_closed():
    assert [e.validator for e in DOCUMENT.iter_errors({"id": "x"})] == ["required"]
    [error] = DOCUMENT.iter_errors({"kind": "Persn", "id": "x"})
    assert error.validator == "enum" and "Person" in error.validator_value


@pytest.mark.parametrize("kind", KINDS)
def test_broken_documents_break_both_schemas_alike(kind):
    """A misspelled property and a missing required one: the document schema rejects the
    document exactly where the kind's own schema does."""
    doc = copy.deepcopy(next(d.data for d in example_documents() if d.data["kind"] == kind))
    doc["colour"] = "red"
    del doc[next(p for p in schema_of(kind)["required"] if p != "kind")]
    own = sorted((e.validator, list(e.path)) for e in validator(schema_of(kind)).iter_errors(doc))
    ours = sorted((e.validator, list(e.path)) for e in DOCUMENT.iter_errors(doc))
    assert own == ours and {v for v, _ in own} == {"additionalProperties", "required"}
