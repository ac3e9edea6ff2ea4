"""Schema findings are located at the offending value, with allowed values or a suggestion."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from jsonschema import Draft202012Validator

from tests.conftest import TODAY, write
from provisioner import vocabulary as V
from provisioner.pipeline import validate
from provisioner.schemacheck import SCHEMA_DIR, SCHEMA_FILES

PERSON = """
    kind: Person
    id: cara-diaz
    name: Cara Diaz
    email: cara.diaz@lakeside.example
    account_type: office_staff
    offices: [north]
"""


def only(org_dir, name, text):
    write(org_dir, name, text)
    result = validate(org_dir, today=TODAY)
    assert len(result.diagnostics) == 1, result.diagnostics
    return result.diagnostics[0]


def test_unknown_field_points_at_key_and_suggests(org_dir):
    d = only(org_dir, "p.yaml", PERSON + "    emial: x@y.example\n")
    assert (d.code, d.line, d.column, d.subject) == ("SCHEMA001", 7, 1, "cara-diaz")
    assert "unknown field 'emial'" in d.message and "did you mean 'email'" in d.message


def test_enum_misspelling_suggests(org_dir):
    d = only(org_dir, "p.yaml", PERSON.replace("office_staff", "ofice_staff"))
    assert (d.line, d.column) == (5, 15)
    assert "did you mean 'office_staff'" in d.message and "allowed: office_staff, master_group_staff" in d.message


def test_nested_enum_in_profile_is_located(org_dir):
    d = only(org_dir, "p.yaml", PERSON + """\
    profiles:
      - id: cara-slp
        user_type: Clercal
        email: cara.slp@lakeside.example
        clinics: [north]
        default_clinic: north
    """)
    assert (d.line, d.column) == (9, 16)
    assert "profiles[0].user_type" in d.message and "did you mean 'Clerical'" in d.message


def test_missing_required_field_points_at_document(org_dir):
    d = only(org_dir, "p.yaml", PERSON.replace("    email: cara.diaz@lakeside.example\n", ""))
    assert (d.line, d.column) == (1, 1)
    assert "missing required field 'email' in Person" in d.message


def test_person_needs_account_type_or_template(org_dir):
    d = only(org_dir, "p.yaml", PERSON.replace("    account_type: office_staff\n", ""))
    assert "account_type` or a role `template`" in d.message


def test_bad_date_is_explained(org_dir):
    d = only(org_dir, "o.yaml", """
        kind: Office
        id: south
        name: South
        go_live: 2026-02-30
    """)
    assert (d.line, d.column) == (4, 10)
    assert "'2026-02-30' is not a calendar date" in d.message


def test_licence_pool_misspelling(org_dir):
    d = only(org_dir, "o.yaml", """
        kind: Office
        id: south
        name: South
        licenses: unlimted
    """)
    assert (d.line, d.column) == (4, 11)
    assert "did you mean 'unlimited'" in d.message


def test_licence_count_must_be_whole_number(org_dir):
    d = only(org_dir, "o.yaml", """
        kind: Office
        id: south
        name: South
        licenses: {therapist: -1}
    """)
    assert (d.line, d.column) == (4, 23)


def test_yaml_boolean_where_text_expected(org_dir):
    d = only(org_dir, "p.yaml", PERSON.replace("name: Cara Diaz", "name: true"))
    assert (d.line, d.column) == (3, 7)
    assert "name must be text, not the boolean true" in d.message


def test_all_errors_of_a_file_are_reported(org_dir):
    write(org_dir, "p.yaml", PERSON.replace("office_staff", "nurse") + "    colour: red\n")
    result = validate(org_dir, today=TODAY)
    assert [(d.line, d.code) for d in result.diagnostics] == [(5, "SCHEMA001"), (7, "SCHEMA001")]


@pytest.mark.parametrize("kind", sorted(SCHEMA_FILES))
def test_schemas_are_strict_described_and_identified(kind):
    schema = json.loads((SCHEMA_DIR / SCHEMA_FILES[kind]).read_text())
    Draft202012Validator.check_schema(schema)
    assert schema["$id"].endswith(SCHEMA_FILES[kind])
    assert schema["$schema"] == "https://json-schema.org/draft/2020-12/schema"

    def walk(node, where):
        if isinstance(node, dict):
            if node.get("type") == "object" and "properties" in node:
                assert node.get("additionalProperties") is False, where
                for name, prop in node["properties"].items():
                    assert prop.get("description"), f"{where}.{name} has no description"
            for key, value in node.items():
                walk(value, f"{where}.{key}")
        elif isinstance(node, list):
            for i, value in enumerate(node):
                walk(value, f"{where}[{i}]")

    walk(schema, kind)


def enum_of(kind, *path):
    node = json.loads((SCHEMA_DIR / SCHEMA_FILES[kind]).read_text())
    for step in path:
        node = node[step]
    return node["enum"]


def test_schema_enums_speak_the_vocabulary():
    assert enum_of("Person", "properties", "account_type") == list(V.ACCOUNT_TYPES)
    assert enum_of("Person", "properties", "admin", "items") == list(V.ADMIN_ROLES)
    assert enum_of("Person", "properties", "template") == list(V.ROLE_TEMPLATES)
    profile = ("properties", "profiles", "items", "properties")
    assert enum_of("Person", *profile, "user_type") == list(V.USER_TYPES)
    assert enum_of("Person", *profile, "permissions", "items") == list(V.PERMISSIONS)
    assert enum_of("Office", "properties", "mips") == list(V.MIPS_MODES)
    assert enum_of("Group", "properties", "role") == list(V.GROUP_ROLES)


VALID_PERSON = {
    "kind": "Person", "id": "cara", "name": "Cara", "email": "cara@x.example", "account_type": "office_staff",
    "offices": ["north"], "npi": "1234567893", "end_date": "2027-01-31",
    "profiles": [{"id": "cara-pt", "user_type": "PT", "email": "cara.pt@x.example", "clinics": ["north"],
                  "default_clinic": "north", "permissions": ["view_patients"]}],
}
MUTATIONS = [
    ("id", "Cara!"), ("name", ""), ("email", "not-an-email"), ("account_type", "nurse"),
    ("offices", ["north", "north"]), ("npi", 1234567893), ("npi", "123"), ("end_date", "2027-02-30"),
    ("end_date", "31/01/2027"), ("call_center", 5), ("front_office", "clerk"), ("status", None),
    ("grants", {"approved_by": "x"}), ("insurance", {"reviewed_on": "2026-01-01"}), ("colour", "red"),
    ("profiles", [{"id": "p"}]), ("profiles", [{**VALID_PERSON["profiles"][0], "user_type": "RN"}]),
    ("profiles", [{**VALID_PERSON["profiles"][0], "permissions": ["fly"]}]),
    ("profiles", [{**VALID_PERSON["profiles"][0], "clinics": []}]),
    ("profiles", [{**VALID_PERSON["profiles"][0], "attestation": {"by": "x"}}]),
    ("referral_disposition", {"action": "keep"}), ("work_queue_chat", "yes"), ("admin", ["root"]),
]


@pytest.mark.parametrize("field,value", MUTATIONS)
def test_fast_validator_never_accepts_what_the_reference_rejects(field, value):
    from provisioner.schemacheck import _valid, validator_of

    doc = {**VALID_PERSON, field: value}
    reference_ok = not list(validator_of("Person").iter_errors(doc))
    assert reference_ok is False
    assert _valid("Person", doc) is False


def test_fast_validator_accepts_valid_documents():
    from provisioner.schemacheck import _valid

    assert _valid("Person", VALID_PERSON)
    assert _valid("Person", {k: v for k, v in VALID_PERSON.items() if k != "account_type"} | {"template": "provider"})


def _patterns(node, path=()):
    """Every (path, pattern) of a schema."""
    if isinstance(node, dict):
        if isinstance(node.get("pattern"), str):
            yield path, node["pattern"]
        for k, v in node.items():
            yield from _patterns(v, path + (k,))
    elif isinstance(node, list):
        for i, v in enumerate(node):
            yield from _patterns(v, path + (i,))


@pytest.mark.parametrize("kind", sorted(SCHEMA_FILES))
def test_ID001_no_pattern_accepts_a_trailing_line_break_in_either_validator(kind):
    """`$` matches before a final line break in Python's re: jsonschema and fastjsonschema
    both search patterns, so every pattern must refuse "value\\n" in both."""
    import fastjsonschema
    from jsonschema import Draft202012Validator as Reference

    schema = json.loads((SCHEMA_DIR / SCHEMA_FILES[kind]).read_text())
    samples = {"^[a-z0-9]": "hugo-lam", "^([a-z0-9]": "hugo-lam", "^[^@": "hugo.lam@test.example",
               "^\\d{4}": "2026-01-05", "^[0-9]{10}": "1234567893", "^[A-Z]+": "LIC001", "^[A-Za-z_]": "domain",
               "^[^\\s": "north/therapist", "^[a-z][a-z_]": "view_users",
               "^https?://": "https://idp.test.example/scim/v2", "^[A-Z_]": "RIVERSIDE_SCIM_TOKEN",
               "^(?!/)": "out/changes", "^[^\\u0000": "Maria Lopez-Park, DPT"}
    checked = 0
    for path, pattern in _patterns(schema):
        good = next(v for k, v in samples.items() if pattern.startswith(k))
        fast = fastjsonschema.compile({"type": "string", "pattern": pattern})
        reference = Reference({"type": "string", "pattern": pattern})
        assert reference.is_valid(good) and fast(good) == good, (kind, path)
        bads = (good + "\n", " " + good, good + " ", good[:2] + "\u200b" + good[2:])
        if pattern.startswith("^[^\\u0000"):  # a display name: spaces are fine, controls and overrides not
            bads = (good + "\n", good + "\r", good[:2] + "\x1b[31m" + good[2:], good[:2] + "\u202e" + good[2:],
                    good + "\x85", "\x00" + good)
        for bad in bads:
            assert not reference.is_valid(bad), (kind, path, bad)
            with pytest.raises(fastjsonschema.JsonSchemaException):
                fast(bad)
        checked += 1
    assert checked


def test_ID001_hugo_lam_with_a_line_break_is_refused_by_both_validators():
    from provisioner.schemacheck import _valid, validator_of

    doc = {**VALID_PERSON, "id": "hugo-lam\n"}
    assert list(validator_of("Person").iter_errors(doc))
    assert _valid("Person", doc) is False


def test_one_mistake_one_error_for_a_date_that_breaks_pattern_and_format(org_dir):
    d = only(org_dir, "o.yaml", """
        kind: Office
        id: south
        name: South
        go_live: 2026-1-5
    """)
    assert "'2026-1-5'" in d.message


def _schema_patterns() -> list[str]:
    """Every distinct pattern of the schemas (the plan's and state's included)."""
    found = set()
    for path in sorted(SCHEMA_DIR.glob("*.json")):
        found.update(pattern for _, pattern in _patterns(json.loads(path.read_text())))
    return sorted(found)


def _characters() -> list[str]:
    """Every character a class or an escape could treat differently: the whole Basic
    Multilingual Plane (surrogates aside) and the supplementary one (plane 1: the newer
    scripts, their digits, the mathematical digits), every 61st of the ideographs of planes
    2 and 3 (letters all, of one category), the tags and variation selectors of plane 14,
    and the last code point."""
    ranges = (range(0, 0xD800), range(0xE000, 0x20000), range(0x20000, 0x40000, 61), range(0xE0000, 0xE0200),
              range(0x10FFFF, 0x110000))
    return [chr(c) for r in ranges for c in r]


PATTERN_SAMPLES = {"^[a-z0-9]": "hugo-lam", "^([a-z0-9]": "hugo.lam@test.example", "^[^@": "hugo.lam@test.example",
                   "^\\d{4}": "2026-01-05", "^[0-9]{10}": "1234567893", "^[A-Z]+": "LIC001", "^[A-Za-z_]": "domain",
                   "^[^\\s": "north/therapist", "^[a-z][a-z_]": "view_users", "^https?://": "https://idp.example/v2",
                   "^[A-Z_]": "RIVERSIDE_SCIM_TOKEN", "^(?!/)": "out/changes", "^[^\\u0000": "Maria Lopez-Park, DPT",
                   "^sha256:": "sha256:" + "0a" * 32}


@pytest.mark.parametrize("pattern", _schema_patterns())
def test_the_rust_validator_reads_every_pattern_as_pythons_re_on_every_character(pattern):
    """jsonschema-rs answers "is it valid?" for the schemas (`compiled_validator`); its
    regular expressions are Rust's, whose `\\s` leaves out U+001C to U+001F, whose `\\d`
    follows a newer Unicode than this Python's, and whose `$` matches only at the very end.
    With each pattern rewritten (`_python_pattern`), it must never match a string that
    Python's `re.search` (jsonschema's and fastjsonschema's engine) does not: a valid sample
    with any character put first, in the middle or last, or in place of its first, middle or
    last character, and with line breaks around it. A pattern it read more loosely would let
    a document pass that the reference rejects, and its finding would be lost. It matches
    exactly what `re` matches but for `\\d` (ASCII digits only, where `re` takes every
    script's, which the date format refuses anyway)."""
    import re

    import jsonschema_rs

    from provisioner.schemacheck import _python_pattern

    sample = next(v for k, v in PATTERN_SAMPLES.items() if pattern.startswith(k))
    python = re.compile(pattern).search
    rust = jsonschema_rs.validator_for({"type": "string", "pattern": _python_pattern(pattern)}).is_valid
    assert python(sample) and rust(sample)
    middle = len(sample) // 2
    texts = [sample + line for line in ("\n", "\n\n", "\r\n", "\r", "\x85", "\u2028")]
    texts += ["\n" + sample, sample[:middle] + "\n" + sample[middle:], ""]
    for at in (0, middle, len(sample)):
        texts += [sample[:at] + c + sample[at:] for c in _characters()]
    for at in (0, middle, len(sample) - 1):
        texts += [sample[:at] + c + sample[at + 1:] for c in _characters()]
    looser = [t for t in texts if rust(t) and not python(t)]
    assert not looser, looser[:10]
    stricter = [t for t in texts if python(t) and not rust(t)]
    if "\\d" in pattern:  # each holds a digit of another script
        assert all(any(not ch.isascii() and re.fullmatch(r"\d", ch) for ch in t) for t in stricter), stricter[:10]
    else:
        assert not stricter, stricter[:10]


def test_values_the_rust_validator_cannot_take_are_answered_by_fastjsonschema():
    """A value that is not JSON (a date, in a document made by hand) or a string jsonschema-rs
    cannot take (a lone surrogate) is answered by the Python validator, as before: the same
    verdict as the reference validator's, never an exception."""
    import datetime as dt

    from provisioner.schemacheck import _compiled_python, _is_date, compiled_validator, schema_file, validator_of

    valid = compiled_validator("person.schema.json")
    python = _compiled_python(schema_file("person.schema.json"), {"date": _is_date, "email": lambda t: "@" in t})
    cases = {"a date object": ({**VALID_PERSON, "end_date": dt.date(2027, 1, 31)}, False),
             "a lone surrogate": ({**VALID_PERSON, "name": "Cara \ud800"}, True),
             "a 41-digit number": ({**VALID_PERSON, "npi": 10 ** 40}, False),
             "an astral character": ({**VALID_PERSON, "name": "Cara \U0001f600"}, True)}
    for name, (doc, expected) in cases.items():
        assert (not list(validator_of("Person").iter_errors(doc))) is expected, name
        assert valid(doc) is python(doc) is expected, name


@pytest.mark.parametrize("field,value", MUTATIONS)
def test_neither_fast_validator_accepts_what_the_reference_rejects(field, value):
    """The Python validator, used without jsonschema-rs's wheel or for values it cannot take,
    refuses each mistake too."""
    from provisioner.schemacheck import _compiled_python, _is_date, schema_file

    python = _compiled_python(schema_file("person.schema.json"), {"date": _is_date, "email": lambda t: "@" in t})
    assert python({**VALID_PERSON, field: value}) is False
    assert python(VALID_PERSON) is True


@pytest.mark.parametrize("text", ["2026-01-05", "2024-02-29", "2026-02-30", "20260105", "2026-W02-1", "2026-002",
                                  "2026-1-5", "2026-01-05\n", "2026-01-05T00:00", "\u0662\u0660\u0662\u0666-01-05",
                                  "", "2026-13-01"])
def test_the_fast_validators_read_a_date_as_the_reference_format_checker(text):
    """`date.fromisoformat` alone takes `20260105` and `2026-W02-1`; FormatChecker does not,
    and neither may the fast validators (a field with `format: date` and no pattern)."""
    from jsonschema import FormatChecker

    from provisioner.schemacheck import _is_date

    assert _is_date(text) is FormatChecker().conforms(text, "date")
