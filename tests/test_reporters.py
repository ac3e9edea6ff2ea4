"""The three views of a diagnostics list, built by hand (no loading involved)."""

from __future__ import annotations

import json

from provisioner.diagnostics import Diagnostic, Severity
from provisioner.reporters import render_github, render_json, render_text

ERR = Diagnostic("orgs/x/people.yaml", 2, 8, "EMAIL001", Severity.ERROR,
                 "e-mail 'a@x.example' is already used by person 'bo'", "al")
WARN = Diagnostic("orgs/x/org.yaml", 1, None, "ADM004", Severity.WARNING, "3 client admins, limit 2", None)
WAIVED = Diagnostic("orgs/x/o.yaml", 3, 1, "LIC003", Severity.WARNING, "2 unused seats", "north",
                    waived_by="cfo@x.example until 2027-01-01: seasonal hires")
LINES = {"orgs/x/people.yaml": ["kind: Person", "email: a@x.example"]}


def test_text_has_location_code_subject_and_caret():
    out = render_text([ERR], LINES).splitlines()
    assert out[0] == "orgs/x/people.yaml:2:8: error EMAIL001: e-mail 'a@x.example' is already used by person 'bo' [al]"
    assert out[1] == "    2 | email: a@x.example"
    assert out[2] == "      |        ^"
    assert out[-1] == "1 error, 0 warnings"


def test_text_counts_and_waivers():
    out = render_text([ERR, WARN, WAIVED], LINES)
    assert "orgs/x/o.yaml:3:1: waived LIC003: 2 unused seats [north]" in out
    assert "waived: cfo@x.example until 2027-01-01: seasonal hires" in out
    assert out.splitlines()[-1] == "1 error, 1 warning, 1 waived"


def test_text_colour_only_when_asked():
    assert "\033[" not in render_text([ERR], LINES, colour=False)
    assert "\033[1;31merror\033[0m" in render_text([ERR], LINES, colour=True)


def test_quiet_hides_warnings_but_keeps_counts():
    out = render_text([ERR, WARN], LINES, quiet=True)
    assert "ADM004" not in out and out.splitlines()[-1] == "1 error, 1 warning"


def test_json_document_shape():
    doc = json.loads(render_json([ERR, WARN, WAIVED]))
    assert doc["format_version"] == "1"
    assert (doc["valid"], doc["error_count"], doc["warning_count"], doc["waived_count"]) == (False, 1, 1, 1)
    assert doc["diagnostics"][0] == {
        "severity": "error", "code": "EMAIL001", "message": ERR.message, "file": "orgs/x/people.yaml",
        "line": 2, "column": 8, "subject": "al", "waived": False, "waiver": None,
    }


def test_json_valid_with_only_warnings():
    doc = json.loads(render_json([WARN]))
    assert doc["valid"] is True and doc["error_count"] == 0


def test_github_annotations_are_escaped():
    tricky = Diagnostic("orgs/a,b.yaml", 4, 2, "GOV001", Severity.ERROR, "bad NPI: 100%\nfix it", "p")
    lines = render_github([tricky, WARN, WAIVED]).splitlines()
    assert lines[0] == "::error file=orgs/a%2Cb.yaml,line=4,col=2,title=GOV001::GOV001: bad NPI: 100%25%0Afix it [p]"
    assert lines[1] == "::warning file=orgs/x/org.yaml,line=1,title=ADM004::ADM004: 3 client admins, limit 2"
    assert lines[2].startswith("::notice ")


def test_sorting_is_by_place():
    assert sorted([ERR, WARN, WAIVED], key=Diagnostic.sort_key) == [WAIVED, WARN, ERR]
