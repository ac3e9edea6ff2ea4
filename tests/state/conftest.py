from tests.plan_fixtures import isolated, org_docs, org_folder, state_url  # noqa: F401
