from tests.plan_fixtures import isolated, org_docs, org_folder, sqlite_url, state_url  # noqa: F401
