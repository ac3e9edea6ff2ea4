"""The README's editor set-up, proved in Red Hat's YAML language server (the server behind
VS Code's YAML extension, Neovim's yamlls and Helix), pinned in tests/editor/yamlls and
driven over stdio with the committed .vscode/settings.json mapping: every document of every
file is checked against its own kind, not just the first one."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from provisioner.schemacheck import schema_of
from provisioner.vocabulary import KINDS, MIPS_MODES

from .lsp import FOLDER, LanguageServer, installed_version

ROOT = Path(__file__).resolve().parents[2]
ORGS = ROOT / "orgs"
PINNED = json.loads((FOLDER / "package.json").read_text())["dependencies"]["yaml-language-server"]
SETTINGS = json.loads((ROOT / ".vscode" / "settings.json").read_text(encoding="utf-8"))
# Scratch documents live only in the server's memory, at paths the glob maps.
SCRATCH = ORGS / "scratch-editor-test"


@pytest.fixture(scope="module")
def server():
    """One server for the module, configured exactly as .vscode/settings.json configures VS
    Code (schema store off: nothing is fetched), and ready: a document with an unknown kind
    has been reported, so the schema mapping is in force before any assertion."""
    ls = LanguageServer(ROOT, {"yaml": {
        "schemas": SETTINGS["yaml.schemas"], "validate": True, "completion": True, "hover": True,
        "schemaStore": {"enable": False}}})
    try:
        ls.initialize()
        probe = ls.open(SCRATCH / "probe.yaml", "kind: Nope\n")
        [diagnostic] = ls.wait_diagnostics(probe, until=bool)
        assert diagnostic["range"]["start"]["line"] == 0 and '"Person"' in diagnostic["message"]
        ls.close(probe)
        yield ls
    finally:
        ls.stop()


def documents(text: str) -> list[str]:
    return re.split(r"^---\n", text, flags=re.MULTILINE)


def line_of(text: str, needle: str) -> int:
    """0-based line of the first line starting with `needle` (LSP lines are 0-based)."""
    return next(i for i, line in enumerate(text.splitlines()) if line.startswith(needle))


def multi_kind_text() -> str:
    """An Organization, a Target and a Person, copied from harbor-therapy into one file."""
    harbor = ORGS / "harbor-therapy"
    person = documents((harbor / "people" / "therapy.yaml").read_text(encoding="utf-8"))[0]
    return "---\n".join([(harbor / "organization.yaml").read_text(encoding="utf-8"),
                         (harbor / "targets.yaml").read_text(encoding="utf-8"), person])


def test_the_pinned_server_is_installed(server):
    assert installed_version() == PINNED


def test_committed_editor_settings_map_every_yaml_file_to_the_document_schema():
    assert SETTINGS["yaml.schemas"] == {"./schemas/document.schema.json": ["orgs/**/*.yaml", "orgs/**/*.yml"]}
    recommended = json.loads((ROOT / ".vscode" / "extensions.json").read_text(encoding="utf-8"))
    assert recommended["recommendations"] == ["redhat.vscode-yaml"]
    modelines = [p for p in ORGS.rglob("*.y*ml") if "yaml-language-server:" in p.read_text(encoding="utf-8")]
    assert modelines == [], "a modeline overrides the mapping and covers only the first document"


def test_the_mapping_covers_yml_and_nested_folders_and_nothing_outside_orgs(server):
    broken = "kind: Person\nid: cara\nname: Cara\nemail: cara@x.example\naccount_type: nurse\n"
    seen = {}
    for where in (SCRATCH / "people.yml", SCRATCH / "a" / "b" / "people.yaml", ROOT / "notes" / "people.yaml"):
        uri = server.open(where, broken)
        seen[str(where.relative_to(ROOT))] = [(d["range"]["start"]["line"], d["message"][:24])
                                              for d in server.wait_diagnostics(uri)]
        server.close(uri)
    wrong_enum = [(4, "Value is not accepted. V")]
    assert seen == {"orgs/scratch-editor-test/people.yml": wrong_enum,
                    "orgs/scratch-editor-test/a/b/people.yaml": wrong_enum,
                    "notes/people.yaml": []}


def test_no_diagnostics_on_any_example_file(server):
    files = sorted(p for p in ORGS.rglob("*") if p.suffix in (".yaml", ".yml"))
    assert len(files) >= 16
    uris = {server.open(path): path for path in files}
    found = {str(uris[uri].relative_to(ROOT)): server.wait_diagnostics(uri) for uri in uris}
    for uri in uris:
        server.close(uri)
    assert {file: diags for file, diags in found.items() if diags} == {}


TARGETS = """\
kind: Target
id: emr
name: EMR
type: scim
receives: [emr_profiles]
scim: {url: "https://emr.example/scim/v2", token_env: EMR_SCIM_TOKEN}
---
kind: Target
id: pm
name: Practice management
type: changefile
receives: [front_office_roles]
changefile: {folder: out/changes/pm}
"""


def test_target_settings_the_python_check_accepts_are_accepted_in_the_editor(server):
    """Schema patterns are ECMA-262 (tests/test_schema_metaschema.py): a Python-only `\\Z`
    made the server refuse every URL, variable name and folder here."""
    import yaml
    from jsonschema import Draft202012Validator

    python_check = Draft202012Validator(json.loads((ROOT / "schemas" / "document.schema.json").read_text()))
    assert [e.message for doc in yaml.safe_load_all(TARGETS) for e in python_check.iter_errors(doc)] == []
    assert not python_check.is_valid(next(yaml.safe_load_all(TARGETS.replace("EMR_SCIM_TOKEN", "emr-token"))))
    uri = server.open(SCRATCH / "targets.yaml", TARGETS)
    assert server.wait_diagnostics(uri) == []
    server.close(uri)
    uri = server.open(SCRATCH / "targets-bad.yaml", TARGETS.replace("EMR_SCIM_TOKEN", "emr-token"))
    [diagnostic] = server.wait_diagnostics(uri, until=bool)
    server.close(uri)
    assert diagnostic["range"]["start"]["line"] == 5 and "does not match the pattern" in diagnostic["message"]


def test_misspelled_property_and_wrong_enum_in_the_third_document(server):
    good = multi_kind_text()
    kinds = [re.search(r"^kind: (\w+)", doc, re.MULTILINE).group(1) for doc in documents(good)]
    assert kinds == ["Organization", "Target", "Person"]
    clean = server.open(SCRATCH / "mixed-clean.yaml", good)
    assert server.wait_diagnostics(clean) == []
    server.close(clean)

    third = good.index("kind: Person")
    broken = good[:third] + (good[third:].replace("\nemail:", "\nemial:", 1)
                             .replace("account_type: physician_staff", "account_type: physician_staf", 1))
    uri = server.open(SCRATCH / "mixed-broken.yaml", broken)
    diagnostics = server.wait_diagnostics(uri, until=bool)
    server.close(uri)
    seen = sorted((d["range"]["start"]["line"], d["message"]) for d in diagnostics)
    misspelled, account_type = line_of(broken, "emial:"), line_of(broken, "account_type:")
    person = line_of(broken, "kind: Person")
    assert person < misspelled < account_type
    assert (misspelled, "Property emial is not allowed.") in seen
    assert any(line == account_type and "Value is not accepted" in message and '"physician_staff"' in message
               for line, message in seen), seen
    # The required `email` is now missing: reported at the Person document, and nothing else.
    assert {line for line, _ in seen} <= {person, misspelled, account_type}, seen


def test_completion_of_properties_and_enum_values_in_a_later_document(server):
    text = multi_kind_text() + "---\nkind: Office\nid: harbor-north\nname: Harbor North\n\n"
    uri = server.open(SCRATCH / "completion.yaml", text)
    last = len(text.splitlines())  # the empty line after `name:` in the fourth document
    labels = {item["label"] for item in server.completion(uri, last, 0)}
    office = set(schema_of("Office")["properties"])
    assert {"go_live", "call_center", "mips", "virtual_visits", "licenses"} <= labels
    assert labels <= office | set(KINDS), labels - office  # Office's words only, no Person's
    assert "account_type" not in labels

    server.close(uri)
    text += "mips: \n"
    uri = server.open(SCRATCH / "completion.yaml", text)
    values = [item["label"] for item in server.completion(uri, last, len("mips: "))]
    server.close(uri)
    assert sorted(values) == sorted(MIPS_MODES)

    uri = server.open(SCRATCH / "kind.yaml", multi_kind_text() + "---\nkind: \n")
    values = [item["label"] for item in server.completion(uri, len(multi_kind_text().splitlines()) + 1, 6)]
    server.close(uri)
    assert sorted(values) == sorted(KINDS)


def test_hover_shows_the_property_description_in_a_later_document(server):
    text = multi_kind_text()
    uri = server.open(SCRATCH / "hover.yaml", text)
    hover = server.hover(uri, line_of(text, "account_type:"), 3)
    server.close(uri)
    assert schema_of("Person")["properties"]["account_type"]["description"] in hover
    assert "#### Person" in hover


def test_readme_snippets_and_helix_config_give_the_tested_mapping():
    """The Neovim and Helix snippets, and the committed Helix file, say what the server was
    driven with above; the README's figures are the ones measured."""
    import tomllib

    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    helix = tomllib.loads((ROOT / ".helix" / "languages.toml").read_text(encoding="utf-8"))
    assert helix["language-server"]["yaml-language-server"]["config"]["yaml"]["schemas"] == SETTINGS["yaml.schemas"]
    assert '"./schemas/document.schema.json": ["orgs/**/*.yaml", "orgs/**/*.yml"]' in readme
    assert '["./schemas/document.schema.json"] = { "orgs/**/*.yaml", "orgs/**/*.yml" },' in readme
    assert '"./schemas/document.schema.json" = ["orgs/**/*.yaml", "orgs/**/*.yml"]' in readme
    assert f"yaml-language-server {PINNED}" in readme
    count = sum(len(documents(p.read_text(encoding="utf-8"))) for p in ORGS.rglob("*.y*ml"))
    assert f"all {count} documents" in readme
