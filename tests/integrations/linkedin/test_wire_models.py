"""Wire models: LinkedIn's field names, what is sent, what is kept when read, push bodies."""

from __future__ import annotations

import pydantic
import pytest

from rsc_service.integrations.linkedin import wire


class TestSending:
    def test_candidate_sends_required_lists_even_when_empty_and_drops_unset_fields(self) -> None:
        candidate = wire.AtsCandidate(ats_created_at=1, ats_last_modified_at=2, first_name="Ada")

        assert candidate.to_wire() == {
            "atsCreatedAt": 1,
            "atsLastModifiedAt": 2,
            "firstName": "Ada",
            "emailAddresses": [],
            "phoneNumbers": [],
            "addresses": [],
        }

    def test_linkedin_spells_its_own_name_with_a_capital_i(self) -> None:
        candidate = wire.AtsCandidate(
            ats_created_at=1, ats_last_modified_at=1, linkedin_profile_url="https://www.linkedin.com/in/ada"
        )

        assert candidate.to_wire()["linkedInProfileUrl"] == "https://www.linkedin.com/in/ada"

    def test_models_accept_wire_names_too(self) -> None:
        job = wire.SimpleJobPosting.model_validate(
            {
                "integrationContext": "urn:li:organization:1",
                "externalJobPostingId": "J1",
                "title": "t",
                "description": "d",
                "state": "CLOSED",
                "companyApplyUrl": "https://x",
                "listedAt": 5,
                "jobPostingOperationType": "CLOSE",
            }
        )

        assert (job.state, job.job_posting_operation_type) == ("CLOSED", "CLOSE")

    @pytest.mark.parametrize(
        ("model", "fields"),
        [
            (wire.SimpleJobPosting, {"state": "OPEN"}),
            (wire.InterviewFeedback, {"interviewType": "LUNCH"}),
        ],
    )
    def test_enumerations_are_checked_before_sending(
        self, model: type[pydantic.BaseModel], fields: dict[str, str]
    ) -> None:
        with pytest.raises(pydantic.ValidationError):
            model.model_validate(fields)

    def test_keys_are_hashable_and_carry_the_fixed_fields(self) -> None:
        key = wire.IntegrationKey(
            integration_context="urn:li:contract:1", integration_type=wire.IntegrationType.CSA_API
        )

        assert {key: 1}[
            wire.IntegrationKey(integration_context="urn:li:contract:1", integration_type="CSA_API")
        ] == 1
        assert key.fields() == {
            "integrationContext": "urn:li:contract:1",
            "integrationType": "CSA_API",
            "tenantType": "RECRUITER",
            "dataProvider": "ATS",
        }

    def test_partial_update_sets_wire_fields(self) -> None:
        assert wire.PartialUpdate.setting({"integrationName": "Acme"}).to_wire() == {
            "patch": {"$set": {"integrationName": "Acme"}}
        }


class TestReading:
    @pytest.mark.parametrize(
        ("email", "expected"),
        [("ada@example.com", ["ada@example.com"]), (["ada@example.com"], ["ada@example.com"]), (None, [])],
    )
    def test_stub_email_may_be_a_string_a_list_or_absent(self, email: object, expected: list[str]) -> None:
        stub = wire.MailStub.model_validate({"emailAddress": email, "phoneNumbers": None})

        assert (stub.email_address, stub.phone_numbers) == (expected, [])

    def test_undocumented_fields_are_kept(self) -> None:
        integration = wire.AtsIntegration.model_validate({"integrationName": "x", "enabledAt": 5})

        assert integration.model_extra == {"enabledAt": 5}


class TestNotifications:
    @pytest.mark.parametrize(
        ("body", "expected"),
        [
            (
                b'{"type":"EXPORT_CANDIDATE_PROFILE","id":"urn:li:request:1","expiresAt":1700003600000}',
                wire.ExportCandidateProfile(
                    type="EXPORT_CANDIDATE_PROFILE", id="urn:li:request:1", expires_at=1700003600000
                ),
            ),
            (
                b'{"type":"INTEGRATION_STATUS_CHANGE","id":"r2"}',
                wire.IntegrationStatusChange(type="INTEGRATION_STATUS_CHANGE", id="r2"),
            ),
            (
                b'{"developerApplicationUrn":"urn:li:developerApplication:12345",'
                b'"externalJobPostingIds":["job-1234","job-2345"],"syncAllOpenJobs":false,"type":"RESYNC_JOBS"}',
                wire.ResyncJobs(
                    type="RESYNC_JOBS",
                    developer_application_urn="urn:li:developerApplication:12345",
                    external_job_posting_ids=["job-1234", "job-2345"],
                ),
            ),
        ],
    )
    def test_each_push_type_parses_to_its_model(self, body: bytes, expected: object) -> None:
        assert wire.parse_notification(body) == expected

    def test_unknown_push_type_is_refused(self) -> None:
        with pytest.raises(pydantic.ValidationError):
            wire.parse_notification(b'{"type":"SOMETHING_ELSE","id":"x"}')
