"""Every SCIM body the provisioner sends is valid SCIM, as scim2-models (RFC 7643/7644)
reads it: each User of both example orgs, in every facet, with and without our extension;
their PATCH bodies; the groups. Our extension schema is a valid SCIM Schema resource."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from scim2_models import Context, Extension, Group, PatchOp, Schema, User

from provisioner.model import Target
from provisioner.pipeline import validate
from provisioner.plan.resources import desired_resources
from provisioner.targets import scimjson as sj
from provisioner.targets.mapping import Index, project

ROOT = Path(__file__).resolve().parents[2]
SCHEMA = Schema.model_validate(json.loads((ROOT / "provisioner/targets/scim-extension.json").read_text()))
EXT = Extension.from_schema(SCHEMA)
ALL = Target("all", "All", "scim", ("referral_accounts", "front_office_roles", "emr_profiles"), True, {}, None)


def test_the_extension_schema_declares_every_attribute_we_send():
    assert SCHEMA.id == sj.EXTENSION
    assert {a.name for a in SCHEMA.attributes} == set(sj.EXTENSION_ATTRIBUTES.values())


@pytest.mark.parametrize("org", ["riverside-health", "harbor-therapy"])
def test_every_body_of_the_example_orgs_is_valid_scim(org):
    result = validate(ROOT / "orgs" / org, rules=False)
    resources, _ = desired_resources(result.org)
    index = Index(resources)
    users = groups = 0
    for key in resources:
        got = project(ALL, key, index)
        if got is None:
            continue
        kind, obj = got
        if kind == "group":
            body = sj.group_body(obj, [f"id-{m}" for m in obj["members"]])
            assert Group.model_validate(body, scim_ctx=Context.RESOURCE_CREATION_REQUEST).display_name
            groups += 1
            continue
        for extension in (True, False):
            body = sj.user_body(obj, extension)
            model = User[EXT] if extension else User
            parsed = model.model_validate(body, scim_ctx=Context.RESOURCE_CREATION_REQUEST)
            assert parsed.model_dump(scim_ctx=Context.RESOURCE_CREATION_REQUEST) == body
            patch = sj.patch_body(body, sj.cleared(obj, extension))
            assert len(PatchOp[model].model_validate(patch, scim_ctx=Context.RESOURCE_PATCH_REQUEST).operations) \
                == len(patch["Operations"])
        users += 1
    assert users > 15 and groups > 2
