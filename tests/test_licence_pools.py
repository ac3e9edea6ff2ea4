"""Licence accounting (provisioner/licence_pools.py)."""

from __future__ import annotations

from provisioner.licence_pools import licence_pools
from tests.conftest import run
from tests.rules.test_emr import clinician


def pools(make_org, files=None, **named):
    result = run(make_org(files, **named))
    assert result.org is not None
    return licence_pools(result.org)


def test_pools_count_active_default_clinic_users_per_type(make_org):
    table = pools(make_org, case=clinician(user_type="OT"), clerk=clinician("clerk", user_type="Clerical"),
                  gone=clinician("gone", user_type="PT", extra="status: inactive"))
    east = table[("east", "therapist")]
    assert (east.seats, east.used, east.over, east.unused) == (1, 2, 1, 0)
    assert east.users == ("case/case-p", "dr-ana/dr-ana-pt")
    assert ("east", "clerical") not in table
    assert table[("east", "student")].seats == 0


def test_unlimited_pools_are_never_over_or_unused(make_org):
    office = "kind: Office\nid: east\nname: East\nmips: individual\nvirtual_visits: true\nlicenses: unlimited\n"
    table = pools(make_org, {"offices.yaml": office}, case=clinician(user_type="OT"))
    east = table[("east", "therapist")]
    assert east.unlimited and east.used == 2 and east.over == 0 and east.unused == 0
