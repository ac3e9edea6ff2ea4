"""docs/domain.md is the project's own domain reference: every rule of the catalog is
described there, and nothing in the repository cites material a clone does not have."""

from __future__ import annotations

import re
from pathlib import Path

from provisioner.rules.catalog import all_rules

ROOT = Path(__file__).resolve().parent.parent
DOMAIN = ROOT / "docs" / "domain.md"
ARTICLES = ("Types of par8o Accounts", "Client Admin best practices", "Front Office Role",
            "Managing Users and Permissions (Large Organizations)")


def test_every_rule_has_a_row_in_the_domain_doc():
    text = DOMAIN.read_text(encoding="utf-8")
    rows = set(re.findall(r"^\| ([A-Z]+[0-9]{3}) \|", text, re.M))
    missing = sorted(r.id for r in all_rules() if r.id not in rows)
    assert missing == []


def test_the_domain_doc_names_every_source_article_by_title():
    text = DOMAIN.read_text(encoding="utf-8")
    for title in ARTICLES:
        assert f"“{title}”" in text


def test_no_citation_points_outside_the_repository():
    offenders = []
    for path in [ROOT / "README.md", *ROOT.glob("docs/*.md"), *ROOT.glob("provisioner/**/*.py"),
                 *ROOT.glob("schemas/*.json"), *ROOT.glob("orgs/**/*.yaml"), *ROOT.glob("bench/*.py")]:
        for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
            if re.search(r"\.\./shared/|\bDOMAIN\.md|\b[Ss]eeds? 0\d\d", line):
                offenders.append(f"{path.relative_to(ROOT)}:{n}")
    assert offenders == []
