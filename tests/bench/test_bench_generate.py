"""The synthetic-org generator: deterministic, the requested size, and a valid org."""

import datetime as dt
import re

import pytest

from bench.generate import MIN_PEOPLE, PERSONS_PER_FILE, generate_org, npi_check_digit, write_org
from provisioner.diagnostics import Severity
from provisioner.pipeline import validate

TODAY = dt.date(2026, 11, 23)
LOAD_CODES = ("SCHEMA", "REF", "ID", "YAML", "DOC", "ORG", "LOAD", "TPL")


def persons(files: dict[str, str]) -> int:
    return sum(text.count("\nkind: Person\n") for text in files.values())


def luhn_ok(npi: str) -> bool:
    digits = [int(c) for c in "80840" + npi]
    total = sum(d if i % 2 == 0 else (d * 2 - 9 if d > 4 else d * 2) for i, d in enumerate(reversed(digits)))
    return total % 10 == 0


def test_same_seed_same_bytes_and_another_seed_differs():
    assert generate_org(300, seed=7, today=TODAY) == generate_org(300, seed=7, today=TODAY)
    assert generate_org(300, seed=7, today=TODAY) != generate_org(300, seed=8, today=TODAY)


@pytest.mark.parametrize("n", [MIN_PEOPLE, 57, 200, 1234])
def test_yields_the_requested_number_of_persons(n):
    assert persons(generate_org(n, seed=1, today=TODAY)) == n


def test_persons_are_split_into_files_of_500():
    files = generate_org(1234, seed=1, today=TODAY)
    people = sorted(name for name in files if name.startswith("people-"))
    assert people == ["people-000.yaml", "people-001.yaml", "people-002.yaml"]
    assert persons({p: files[p] for p in people[:1]}) == PERSONS_PER_FILE
    assert {"organization.yaml", "offices.yaml", "insurance-plans.yaml", "groups.yaml"} <= set(files)


def test_too_few_people_is_refused():
    with pytest.raises(ValueError):
        generate_org(MIN_PEOPLE - 1)


def test_npi_check_digit_matches_domain_example():
    assert npi_check_digit("123456789") == "3"  # docs/domain.md: npi "1234567893"


def test_every_generated_npi_is_valid_and_quoted():
    text = "".join(generate_org(1000, seed=2, today=TODAY).values())
    npis = re.findall(r'^npi: "(\d{10})"$', text, flags=re.M)
    assert npis and all(n[0] in "12" and luhn_ok(n) for n in npis)
    assert len(set(npis)) == len(npis)


@pytest.fixture(scope="module")
def org200(tmp_path_factory):
    root = tmp_path_factory.mktemp("synthetic-200")
    write_org(root, generate_org(200, seed=0, today=TODAY))
    return validate(root, today=TODAY)


def test_generated_org_has_no_load_schema_or_reference_errors(org200):
    assert org200.org is not None
    bad = [d for d in org200.diagnostics if d.severity is Severity.ERROR and d.code.startswith(LOAD_CODES)]
    assert bad == []
    assert len(org200.org.persons) == 200


def test_generated_org_passes_every_rule(org200):
    errors = [d for d in org200.diagnostics if d.severity is Severity.ERROR]
    assert errors == []


def test_generated_org_has_every_account_type_and_user_type(org200):
    org = org200.org
    assert {p.account_type for p in org.persons.values()} == {
        "office_staff", "master_group_staff", "physician", "physician_staff"}
    user_types = {prof.user_type for prof in org.profiles()}
    assert {"PT", "OT", "SLP", "PTA", "COTA", "SLPA", "Clerical", "Biller", "SPT", "SOT", "SSLP"} <= user_types
    assert any(o.call_center for o in org.offices.values()) and org.groups
