"""Renderers read hand-built plan dicts (never internal objects)."""

from __future__ import annotations

import json

from provisioner.plan.render import MARKDOWN_LIMIT, render_json, render_markdown, render_text


def change(address, action, before=None, after=None, diff=(), reason="", **extra):
    def res(attrs, status="active"):
        return None if attrs is None else {"kind": address.split(".")[0], "status": status, "attributes": attrs}
    return {"address": address, "kind": address.split(".")[0], "action": action, "reason": reason,
            "before": res(before), "after": res(after), "diff": list(diff), **extra}


def document(changes, diagnostics=()):
    summary = {a: 0 for a in ("create", "update", "replace", "deactivate", "reactivate", "delete")}
    for c in changes:
        summary[c["action"]] += 1
    summary["no-op"] = 7
    return {"format_version": "1", "org": "demo", "config": {"dir": "orgs/demo", "digest": "sha256:" + "a" * 64},
            "state": {"lineage": "L", "serial": 3}, "created_at": "2026-03-01T00:00:00+00:00",
            "today": "2026-03-01", "summary": summary, "changes": list(changes),
            "diagnostics": list(diagnostics), "checksum": "sha256:x"}


SAMPLE = document([
    change("office.new", "create", after={"name": "New"}),
    change("person.p", "update", before={"name": "A"}, after={"name": "B"},
           diff=[{"path": "name", "before": "A", "after": "B"}]),
    change("profile.x", "replace", before={"user_type": "PT"}, after={"user_type": "OT"},
           diff=[{"path": "user_type", "before": "PT", "after": "OT"}], reason="user type PT → OT (TYPE002)"),
    change("person.q", "deactivate", before={"name": "Q"}, after={"name": "Q"},
           diff=[{"path": "status", "before": "active", "after": "inactive"}]),
    change("membership.q@o", "delete", before={"person": "q"}),
], diagnostics=[{"severity": "warning", "code": "LIFE004", "message": "too soon", "file": "o.yaml", "line": 3,
                 "column": 5, "subject": "new", "waived": False, "waiver": None}])


def test_text_uses_terraform_symbols_without_colour():
    text = render_text(SAMPLE)
    assert "  + office.new" in text
    assert "  ~ person.p" in text and '~ name: "A" -> "B"' in text
    assert "  -/+ profile.x" in text and "TYPE002" in text
    assert "  - person.q" in text and "will be deactivated" in text
    assert "  - membership.q@o" in text and "will be deleted" in text
    assert "Plan: 1 to create, 1 to update, 1 to replace, 1 to deactivate, 0 to reactivate, 1 to delete (7 unchanged)." in text
    assert "o.yaml:3:5: warning LIFE004: too soon [new]" in text
    assert "\033[" not in text


def test_text_colour_only_when_asked():
    assert "\033[32m+ office.new" in render_text(SAMPLE, colour=True)


def test_text_no_changes():
    text = render_text(document([]))
    assert text.startswith("No changes.") and "7 unchanged" in text


def test_markdown_has_summary_table_and_details():
    md = render_markdown(SAMPLE)
    assert "| create | 1 |" in md and "| no-op | 7 |" in md
    assert "| 0 |" not in md  # only the actions that occur
    assert "<details><summary><code>-/+ profile.x</code> will be replaced</summary>" in md
    assert '! name: "A" -> "B"' in md
    assert "**warning LIFE004**" in md


def test_markdown_is_summarised_when_too_long():
    many = [change(f"person.p{i:05d}", "create", after={"name": "x" * 200, "email": f"p{i}@e.example"})
            for i in range(2000)]
    md = render_markdown(document(many))
    assert len(md) <= MARKDOWN_LIMIT
    assert "| create | 2000 |" in md
    assert "too long for one comment" in md and "<details>" not in md
    assert "more change" in md


def test_markdown_summary_lists_all_when_addresses_fit():
    many = [change(f"person.p{i}", "create", after={"blob": "y" * 2000}) for i in range(50)]
    md = render_markdown(document(many))
    assert "too long" in md and "more change" not in md and "`+ person.p49`" in md


def test_json_round_trips():
    assert json.loads(render_json(SAMPLE)) == SAMPLE


def test_markdown_with_huge_findings_is_cut_to_the_limit():
    findings = [{"severity": "warning", "code": "LIC003", "message": "m" * 300, "file": "f.yaml", "line": i,
                 "column": 1, "subject": None, "waived": False, "waiver": None} for i in range(1000)]
    md = render_markdown(document([change("office.a", "create", after={"name": "A"})], findings))
    assert len(md) <= MARKDOWN_LIMIT and "truncated" in md


def test_delete_lists_the_attributes_that_go():
    text = render_text(SAMPLE)
    assert '      - person = "q"' in text


def test_resent_invitation_shows_dates_known_after_apply():
    doc = document([change("invitation.person.p", "update",
                           before={"sent_on": "2026-03-01", "expires_on": "2026-03-03"},
                           after={"sent_on": None, "expires_on": None},
                           diff=[{"path": "expires_on", "before": "2026-03-03", "after": None},
                                 {"path": "sent_on", "before": "2026-03-01", "after": None}])])
    text = render_text(doc)
    assert '~ expires_on: "2026-03-03" -> (known after apply)' in text
    assert '~ sent_on: "2026-03-01" -> (known after apply)' in text


def test_saved_plan_is_one_line_per_change_and_round_trips(tmp_path):
    from provisioner.plan.planfile import dumps, read_plan, seal, write_plan

    doc = seal({k: v for k, v in SAMPLE.items() if k != "checksum"})
    text = dumps(doc)
    assert json.loads(text) == doc
    lines = text.splitlines()
    assert sum(1 for line in lines if line.lstrip().startswith('{"address"')) == len(doc["changes"])
    write_plan(doc, tmp_path / "p.json")
    assert read_plan(tmp_path / "p.json") == doc


def test_markdown_says_empty_state_instead_of_none():
    doc = document([change("office.new", "create", after={"name": "New"})])
    doc["state"] = {"lineage": None, "serial": 0}
    md = render_markdown(doc)
    assert "None" not in md and "Against an empty state" in md


def test_config_digest_covers_exactly_what_the_loader_reads(tmp_path):
    from provisioner.plan.planfile import config_digest

    (tmp_path / "org.yaml").write_text("kind: InsurancePlan\nid: a\nname: A\n")
    first = config_digest(tmp_path)
    (tmp_path / "NOTES.txt").write_text("who to call")
    assert config_digest(tmp_path) == first
    (tmp_path / "more.yaml.j2").write_text("kind: InsurancePlan\nid: b\nname: B\n")
    second = config_digest(tmp_path)
    assert second != first
    (tmp_path / "org.yaml").write_text("kind: InsurancePlan\nid: a\nname: A2\n")
    assert config_digest(tmp_path) != second


def test_markdown_says_what_each_change_means_per_person_first():
    doc = document([
        change("person.maria", "update", before={"name": "Maria Lopez", "admin": []},
               after={"name": "Maria Lopez", "admin": ["client_admin"]},
               diff=[{"path": "admin[0]", "before": None, "after": "client_admin"}]),
        change("membership.maria@eastside", "delete", before={"person": "maria", "office": "eastside"}),
        change("profile.maria-pt", "replace", before={"person": "maria", "user_type": "PT"},
               after={"person": "maria", "user_type": "OT"}),
        change("person.q", "deactivate", before={"name": "Q Stone"}, after={"name": "Q Stone"}),
    ])
    md = render_markdown(doc)
    assert ("- **Maria Lopez** (`maria`): gains admin client_admin; leaves eastside; EMR profile maria-pt "
            "becomes OT (was PT)") in md
    assert "- **Q Stone** (`q`): deactivated: loses every access" in md
    assert md.index("**Who changes**") < md.index("<details>")


def test_findings_about_this_change_come_first_the_others_are_folded():
    def finding(code, subject, severity="warning"):
        return {"severity": severity, "code": code, "message": "m", "file": "f.yaml", "line": 1, "column": 1,
                "subject": subject, "waived": False, "waiver": None}

    doc = document([change("person.p", "update", before={"name": "A"}, after={"name": "B"},
                           diff=[{"path": "name", "before": "A", "after": "B"}])],
                   [finding("LIC003", "east"), finding("GOV006", "p"), finding("MASS001", None, "error")])
    md = render_markdown(doc)
    mine, folded = md.split("**Findings about this change**")[1].split("<details><summary>1 finding about")
    assert "GOV006" in mine and "MASS001" in mine and "LIC003" not in mine
    assert "LIC003" in folded and "[east]" in folded


def test_who_changes_names_front_office_roles_and_emr_admin_rights():
    doc = document([
        change("person.linda", "create", after={"name": "Linda Sato", "account_type": "office_staff",
                                                "admin": [], "front_office": "biller"}),
        change("profile.sam-pt", "create", after={"person": "sam", "user_type": "PT", "admin": True}),
        change("profile.emily-ot", "update", before={"person": "emily", "permissions": ["view_users"], "admin": False},
               after={"person": "emily", "permissions": ["view_users"], "admin": True},
               diff=[{"path": "admin", "before": False, "after": True}]),
    ])
    md = render_markdown(doc)
    assert "- **Linda Sato** (`linda`): new account (office_staff); front-office role biller" in md
    assert "new EMR profile sam-pt (PT, EMR admin)" in md
    assert "gains EMR admin on emily-ot" in md


def test_a_note_the_change_raises_is_among_its_findings_whatever_its_subject():
    """NOTE001 names the call center to tell (its subject), not a person the plan touches."""
    note = {"severity": "info", "code": "NOTE001", "message": "tell the call center", "file": "f.yaml", "line": 1,
            "column": 1, "subject": "access-center", "waived": False, "waiver": None}
    doc = document([change("membership.ann@east", "create", after={"person": "ann", "office": "east"})], [note])
    md = render_markdown(doc)
    assert "NOTE001" in md.split("**Findings about this change**")[1].split("<details>")[0]


def test_names_in_the_pull_request_comment_cannot_hide_or_restyle_it():
    """`<!--` in a name would hide everything after it in the rendered comment, `@org/team`
    would notify a team, `*` and backticks restyle: names are written as themselves."""
    doc = document([change("person.dee", "create", after={"name": "Dee <!-- @org/team *x* `y`",
                                                          "account_type": "office_staff", "admin": []})],
                   [{"severity": "warning", "code": "GOV006", "message": "Dee <!-- @org/team", "file": "p.yaml",
                     "line": 1, "column": 1, "subject": "dee", "waived": False, "waiver": None}])
    md = render_markdown(doc)
    outside_code = md.split("<details>")[0] + md.split("</details>")[-1]  # a fenced diff shows text as text
    assert "<!--" not in outside_code and "@org" not in outside_code
    assert "- **Dee &lt;\\!-- &#64;org/team \\*x\\* \\`y\\`** (`dee`): new account (office_staff)" in md
    assert "Dee &lt;!-- &#64;org/team" in md  # the finding's message: its own `code` kept, HTML and mentions not


def test_a_target_reached_elsewhere_than_the_config_now_says_is_named_even_without_changes():
    """The url (or token_env) a SCIM target was last reached with, changed in the config: the
    next apply sends the token there, so the plan names it, with and without other changes."""
    from provisioner.plan.render import render_text_template

    moved = {"idp": {"name": "IdP", "type": "scim", "receives": ["referral_accounts"], "operations": [],
                     "settings_changed": {"url": {"was": "https://idp.example/v2", "now": "https://evil.example/v2"}}}}
    line = ("idp: url changes from https://idp.example/v2 to https://evil.example/v2 since it was last reached "
            "(review it: the next apply, sync or drift sends the token there)")
    quiet = {**document([]), "targets": moved}
    busy = {**SAMPLE, "targets": moved}
    for doc in (quiet, busy):
        assert render_text(doc) == render_text_template(doc)
        assert line in render_text(doc)
        assert "https://evil.example/v2" in render_markdown(doc)
    assert "No changes." in render_text(quiet) and "Targets changed in the config:\n  " + line in render_text(quiet)


def test_who_changes_names_people_changed_only_through_what_they_hold():
    """The plan carries the names of people whose own record it leaves alone (`names`): a
    profile or membership change is shown under the person's name, written as itself."""
    doc = document([
        change("profile.sam-pt", "update", before={"person": "sam", "permissions": []},
               after={"person": "sam", "permissions": ["view_patients"]},
               diff=[{"path": "permissions[0]", "before": None, "after": "view_patients"}]),
        change("membership.kim@east", "create", after={"person": "kim", "office": "east"}),
    ])
    assert "- **sam** (`sam`)" in render_markdown(doc)  # a plan made before names were carried
    doc["names"] = {"sam": "Sam Okafor, PT", "kim": "Kim <!-- *K*"}
    md = render_markdown(doc)
    assert "- **Sam Okafor, PT** (`sam`): gains sam-pt permissions view_patients" in md
    assert "- **Kim &lt;\\!-- \\*K\\*** (`kim`): joins east" in md


def test_a_name_is_one_line_in_the_comment():
    doc = document([change("membership.kim@east", "create", after={"person": "kim", "office": "east"})])
    doc["names"] = {"kim": "Kim\n\n---\n**Reviewed**\r\u2028x"}
    md = render_markdown(doc)
    assert "- **Kim  --- \\*\\*Reviewed\\*\\*  x** (`kim`): joins east" in md
