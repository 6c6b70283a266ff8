from ..api.conftest import client, org, other_org, vendor  # noqa: F401 - shared API fixtures
