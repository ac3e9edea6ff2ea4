"""`.yaml.j2` files: rendered in a sandbox with the Organization's `vars:`."""

from __future__ import annotations

from tests.conftest import TODAY, write
from provisioner.pipeline import validate


def add_vars(org_dir, text="vars: {payers: [aetna, cigna], domain: lakeside.example}\n"):
    path = org_dir / "org.yaml"
    path.write_text(path.read_text().replace("master_group: lakeside\n", "master_group: lakeside\n" + text, 1))


def test_template_renders_with_org_vars(org_dir):
    add_vars(org_dir)
    write(org_dir, "plans.yaml.j2", """
        {% for p in payers %}
        ---
        kind: InsurancePlan
        id: {{ p }}
        name: {{ p | title }}
        {% endfor %}
    """)
    result = validate(org_dir, today=TODAY)
    assert result.ok, result.diagnostics
    assert {"aetna", "cigna"} <= set(result.org.insurance_plans)
    assert result.org.insurance_plans["cigna"].name == "Cigna"


def test_undefined_variable_points_at_template_line(org_dir):
    add_vars(org_dir)
    write(org_dir, "plans.yaml.j2", """
        kind: InsurancePlan
        id: aetna
        name: {{ payer_name }}
    """)
    [d] = validate(org_dir, today=TODAY).diagnostics
    assert (d.code, d.file, d.line) == ("TPL002", "org/plans.yaml.j2", 3)
    assert "payer_name" in d.message


def test_template_syntax_error_is_located(org_dir):
    write(org_dir, "bad.yaml.j2", "kind: InsurancePlan\nid: x\nname: {% if %}\n")
    [d] = validate(org_dir, today=TODAY).diagnostics
    assert (d.code, d.line) == ("TPL001", 3)


def test_sandbox_blocks_attribute_escapes(org_dir):
    add_vars(org_dir)
    write(org_dir, "evil.yaml.j2", "kind: InsurancePlan\nid: x\nname: {{ payers.__class__.__mro__ }}\n")
    [d] = validate(org_dir, today=TODAY).diagnostics
    assert (d.code, d.line) == ("TPL001", 3)
    assert "unsafe" in d.message
