"""Compound keys of the RSC resources (docs/linkedin.md#keys), as frozen, hashable models."""

from __future__ import annotations

from enum import StrEnum
from typing import Final

from pydantic import ConfigDict

from rsc_service.integrations.linkedin.wire_base import Wire

DATA_PROVIDER: Final = "ATS"  # always ATS in RSC (docs/linkedin.md#keys)
TENANT_TYPE: Final = "RECRUITER"


class IntegrationType(StrEnum):
    APPLY_CONNECT = "APPLY_CONNECT"
    APPLY_WITH_LINKEDIN = "APPLY_WITH_LINKEDIN"
    CSA_API = "CSA_API"  # keyed by the contract URN; every other type by the organization URN
    IN_ATS_INDICATOR = "IN_ATS_INDICATOR"
    ONE_CLICK_EXPORT = "ONE_CLICK_EXPORT"
    PROFILE_PLUGIN = "PROFILE_PLUGIN"
    RECOMMENDED_MATCHES = "RECOMMENDED_MATCHES"
    UNIFIED_SEARCH = "UNIFIED_SEARCH"


class RestliKey(Wire):
    model_config = ConfigDict(frozen=True)

    def fields(self) -> dict[str, str]:
        """The key's fields by their wire names, ready for `restli.encode_key`."""
        return {name: str(value) for name, value in self.model_dump(mode="json", by_alias=True).items()}


class CandidateKey(RestliKey):
    ats_candidate_id: str
    integration_context: str  # urn:li:organization:{id}
    data_provider: str = DATA_PROVIDER


class ApplicationKey(RestliKey):
    ats_job_application_id: str
    integration_context: str
    data_provider: str = DATA_PROVIDER


class IntegrationKey(RestliKey):
    integration_context: str
    integration_type: IntegrationType
    tenant_type: str = TENANT_TYPE
    data_provider: str = DATA_PROVIDER


class AclKey(RestliKey):
    """Ties an entity (a job: its externalJobPostingId) to one of the ATS's groups or roles."""

    ats_entity_acl_id: str
    integration_context: str
    ats_entity_id: str
    ats_entity_type: str = "JOB_POSTING"  # the only securable type (docs/linkedin.md#job-acls)
    data_provider: str = DATA_PROVIDER


class AclAssigneeKey(RestliKey):
    """Ties a member (`urn:li:person:{id}`) to an ACL group for an entity type."""

    ats_entity_acl_id: str
    integration_context: str
    assignee: str
    ats_entity_type: str = "JOB_POSTING"
    data_provider: str = DATA_PROVIDER
