"""provisioner/orgfolders.py: changed files → the org folders to validate (pre-commit hook)."""

from __future__ import annotations

from pathlib import Path

from click.testing import CliRunner

from provisioner.cli import main
from provisioner.orgfolders import org_folders
from tests.conftest import FIXTURES, write


def two_orgs(root: Path) -> None:
    write(root, "orgs/a/organization.yaml", "kind: Organization\nid: a\nname: A\nmaster_group: a\n")
    write(root, "orgs/a/people/staff.yaml", "kind: Person\n")
    write(root, "orgs/a/people/deeper/more.yml", "kind: Person\n")
    write(root, "orgs/b/all.yaml.j2", "# one file, many kinds\nkind: Office\n---\nkind: \"Organization\"  # quoted\n")
    write(root, "orgs/b/offices.yaml", "kind: Office\n")
    write(root, "orgs/c/people.yaml", "kind: Person\n")  # an org without its Organization
    write(root, "orgs/c/notes.yaml", "description: kind: Organization is only text here\n")


def test_files_map_to_the_nearest_folder_holding_the_organization(tmp_path, monkeypatch):
    two_orgs(tmp_path)
    monkeypatch.chdir(tmp_path)
    folders, orphans = org_folders(["orgs/a/people/deeper/more.yml", "orgs/b/offices.yaml",
                                    "orgs/a/people/staff.yaml", "orgs/a/organization.yaml", "orgs/c/people.yaml"])
    assert folders == [Path("orgs/a"), Path("orgs/b")]  # each once, in first-seen order
    assert orphans == [Path("orgs/c/people.yaml")]


def test_the_organization_is_found_as_yaml_may_write_it_and_editors_save_it(tmp_path, monkeypatch):
    """CRLF line ends, a byte-order mark, a quoted key, a space before the colon."""
    texts = {"crlf": b"kind: Organization\r\nid: a\r\n", "bom": "\ufeffkind: Organization\n".encode(),
             "quoted-key": b'"kind": Organization\n', "spaced": b"kind  :  'Organization' # the org\r\n",
             "nested": b"meta:\n  kind: Organization\n", "another-kind": b"kind: OrganizationX\n"}
    for name, data in texts.items():
        (tmp_path / name).mkdir()
        (tmp_path / name / "org.yaml").write_bytes(data)
        (tmp_path / name / "people.yaml").write_bytes(b"kind: Person\n")
    monkeypatch.chdir(tmp_path)
    folders, orphans = org_folders([f"{name}/people.yaml" for name in texts])
    assert folders == [Path("crlf"), Path("bom"), Path("quoted-key"), Path("spaced")]
    assert orphans == [Path("nested/people.yaml"), Path("another-kind/people.yaml")]


def test_a_folder_argument_is_its_own_org(tmp_path, monkeypatch):
    two_orgs(tmp_path)
    monkeypatch.chdir(tmp_path / "orgs")
    assert org_folders(["b", "a/people"]) == ([Path("b"), Path("a")], [])


def test_validate_files_validates_each_org_once_and_fails_on_errors(tmp_path, monkeypatch):
    import shutil

    monkeypatch.chdir(tmp_path)
    shutil.copytree(FIXTURES / "minimal", tmp_path / "good")
    shutil.copytree(FIXTURES / "minimal", tmp_path / "bad")
    people = tmp_path / "bad" / "people.yaml"
    people.write_text(people.read_text().replace("account_type:", "acount_type:", 1))
    ok = CliRunner().invoke(main, ["validate-files", "good/people.yaml", "good/org.yaml", "--today", "2026-11-23"])
    assert ok.exit_code == 0, ok.output
    assert ok.output.count("0 errors") == 1
    bad = CliRunner().invoke(main, ["validate-files", "good/people.yaml", "bad/people.yaml", "--today", "2026-11-23"])
    assert bad.exit_code == 1
    assert "bad/people.yaml:5:1: error SCHEMA001" in bad.output
    assert bad.output.index("# provisioner validate good") < bad.output.index("# provisioner validate bad")


def test_pyproject_ships_every_package_and_the_schemas():
    """pyproject.toml lists the packages by hand (schemas/ becomes provisioner/schemas in a
    wheel, which the hook's venv installs); a new subpackage must join the list."""
    import tomllib

    root = Path(__file__).resolve().parent.parent
    setuptools = tomllib.loads((root / "pyproject.toml").read_text())["tool"]["setuptools"]
    found = {".".join(p.parent.relative_to(root).parts) for p in (root / "provisioner").rglob("__init__.py")}
    assert set(setuptools["packages"]) == found | {"provisioner.schemas"}
    assert setuptools["package-dir"] == {"provisioner.schemas": "schemas"}
    assert setuptools["package-data"]["provisioner.schemas"] == ["*.json"]
