"""`provisioner review` (provisioner/report/reviews.py, campaign.py): grants due for review
grouped by reviewer, the reviewer fallbacks, and a campaign's completion after the config
records reviews."""

from __future__ import annotations


from provisioner.pipeline import validate
from provisioner.report.reviews import review_items

from tests.exampleorgs import copy_example

from .conftest import ORGS, cli, line_of


def test_a_campaign_groups_due_grants_by_reviewer():
    r = cli("review", ORGS / "riverside-health", "--due-within", "30d", "--today", "2026-12-01")
    assert r.exit_code == 0, r.output
    assert "## cio@riverside.example (approver): 1" in r.output
    assert "| diane-foster (Diane Foster) | admin | master_group_staff; client_admin_full | 2026-10-01 | 2026-12-30 |" \
        in r.output
    assert "| wendy-castillo (Wendy Castillo) | admin | office_staff; front office scheduler; EMR Clerical at " \
        "eastside-rehab (calendar_admin) | 2026-09-29 | 2026-12-28 |" in r.output
    assert "samuel-okafor" not in r.output  # due 2027-01-03, after the window
    wide = cli("review", ORGS / "riverside-health", "--due-within", "6w", "--today", "2026-12-01")
    assert "samuel-okafor" in wide.output and "gabriel-stone" not in wide.output
    late = cli("review", ORGS / "riverside-health", "--due-within", "0d", "--today", "2027-01-01")
    assert "2026-12-30 (overdue)" in late.output


def test_reviewer_falls_back_to_an_office_admin_then_a_client_admin(tmp_path):
    folder = tmp_path / "riverside"
    copy_example("riverside-health", folder)
    therapy = folder / "people" / "therapy.yaml"
    lines = therapy.read_text(encoding="utf-8").splitlines(keepends=True)
    for pid in ("maria-lopez", "emily-tran"):
        n = line_of(therapy, "approved_by:", after=f"id: {pid}")
        lines[n - 1] = ""
        therapy.write_text("".join(lines), encoding="utf-8")
        lines = therapy.read_text(encoding="utf-8").splitlines(keepends=True)
    items = {i.person: i for i in review_items(validate(folder, rules=False).org)}
    assert (items["maria-lopez"].reviewer, items["maria-lopez"].reviewer_is) == \
        ("paula.henderson@riverside.example", "office admin")  # office admin of eastside-rehab
    assert (items["emily-tran"].reviewer, items["emily-tran"].reviewer_is) == \
        ("diane.foster@riverside.example", "client admin")  # riverside-main-therapy has no office admin
    assert items["diane-foster"].reviewer_is == "approver"


def test_campaign_completion_follows_the_config(tmp_path):
    folder = tmp_path / "riverside"
    copy_example("riverside-health", folder)
    saved = tmp_path / "campaign.csv"
    r = cli("review", folder, "--due-within", "30d", "--today", "2026-12-01", "--format", "csv", "--out", saved)
    assert r.exit_code == 0 and "wrote" in r.output
    header = saved.read_text().splitlines()[0]
    assert header == "campaign,reviewer,reviewer_is,person,name,kind,holds,last_review,due"
    total = len(saved.read_text().splitlines()) - 1
    staff = folder / "people" / "staff.yaml"
    text = staff.read_text(encoding="utf-8")
    n = line_of(staff, "reviewed_on: 2026-10-01", after="id: diane-foster")
    lines = text.splitlines(keepends=True)
    lines[n - 1] = lines[n - 1].replace("2026-10-01", "2026-12-03")  # diane reviewed
    n = line_of(staff, "status: active", after="id: wendy-castillo")
    lines[n - 1] = lines[n - 1].replace("active", "inactive")  # wendy's access removed
    staff.write_text("".join(lines), encoding="utf-8")
    r = cli("review", folder, "--campaign", saved)
    assert r.exit_code == 0, r.output
    assert f"Campaign opened 2026-12-01: 2 of {total} done" in r.output
    assert "reviewed diane-foster" in " ".join(r.output.split())
    assert "removed wendy-castillo" in " ".join(r.output.split())
    assert "cio@riverside.example: 1/1" in r.output
