"""Registration fields shared by the tenant tests."""

from __future__ import annotations

from typing import Any

# A tenant still onboarding: nothing at LinkedIn yet, so activation needs only the ATS side.
NO_CHILD_APP: dict[str, Any] = {
    "contracts": [],
    "linkedin_organization_urn": None,
    "linkedin_client_id": None,
    "linkedin_client_secret": None,
    "linkedin_app_urn": None,
    "linkedin_unique_foreign_id": None,
}
