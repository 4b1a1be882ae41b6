"""The calls that sync ATS records to LinkedIn: jobs, candidates, applications and their parts, ACLs."""

from __future__ import annotations

from collections.abc import Hashable, Mapping, Sequence
from typing import Any, TypeVar

from rsc_service.integrations.linkedin import batch, restli, wire
from rsc_service.integrations.linkedin.batch import BatchResult
from rsc_service.integrations.linkedin.throttle import Group
from rsc_service.integrations.linkedin.transport import Call, Transport

K = TypeVar("K", bound=Hashable)

_SIMPLE_JOB_POSTINGS = "/v2/simpleJobPostings"
_JOB_TASKS = "/v2/simpleJobPostingTasks"
_CANDIDATES = "/v2/atsCandidates"
_APPLICATIONS = "/v2/atsApplications"
_ACLS = "/v2/atsEntityAcls"
_ACL_ASSIGNEES = "/v2/atsEntityAclAssignees"


class SyncCalls:
    _transport: Transport

    # ---- jobs (asynchronous on LinkedIn's side, docs/linkedin.md#jobs) ----

    async def create_jobs(self, jobs: Sequence[wire.SimpleJobPosting]) -> BatchResult[str, str]:
        """Create, update or close jobs; maps each externalJobPostingId to its task id (`get_job_tasks`)."""
        batch.check_size(jobs)
        ids = [job.external_job_posting_id for job in jobs]
        batch.check_unique(ids)  # LinkedIn refuses a call naming a job twice
        if not jobs:
            return BatchResult()
        body = {"elements": [job.to_wire() for job in jobs]}
        call = Call(
            "POST",
            _SIMPLE_JOB_POSTINGS,
            Group.SYNC,
            body=body,
            restli_method="batch_create",
            records=len(jobs),
        )
        return batch.read_created(await self._transport.json(call), ids)

    async def get_job_tasks(self, task_ids: Sequence[str]) -> BatchResult[str, wire.SimpleJobPostingTask]:
        return await self._transport.batch_get(
            _JOB_TASKS,
            [(task, task) for task in task_ids],
            wire.SimpleJobPostingTask.model_validate,
            group=Group.JOB_TASKS,
        )

    # ---- candidates (docs/linkedin.md#candidates) ----

    async def upsert_candidates(
        self, candidates: Mapping[wire.CandidateKey, wire.AtsCandidate]
    ) -> BatchResult[wire.CandidateKey, int]:
        """Full replace of each candidate: fields left out become null on LinkedIn."""
        return await self._put(
            _CANDIDATES, {key: (key.fields(), record.to_wire()) for key, record in candidates.items()}
        )

    async def get_candidates(
        self, keys: Sequence[wire.CandidateKey]
    ) -> BatchResult[wire.CandidateKey, wire.CandidateMatch]:
        """Read candidates back with LinkedIn's member matches."""
        return await self._transport.batch_get(
            _CANDIDATES,
            [(key.fields(), key) for key in keys],
            wire.CandidateMatch.model_validate,
            group=Group.SYNC,
        )

    async def set_manual_matches(
        self, members: Mapping[wire.CandidateKey, str]
    ) -> BatchResult[wire.CandidateKey, int]:
        """Attach a member (`urn:li:person:…`) to each candidate, overriding LinkedIn's own match."""
        return await self.patch_candidates(
            {
                key: wire.PartialUpdate.setting({"manualMatchedMember": member})
                for key, member in members.items()
            }
        )

    async def patch_candidates(
        self, patches: Mapping[wire.CandidateKey, wire.PartialUpdate]
    ) -> BatchResult[wire.CandidateKey, int]:
        """Change only the fields each patch sets; the rest of each candidate stays as it is."""
        entities = [(key.fields(), key, patch.to_wire()) for key, patch in patches.items()]
        return await self._transport.batch_write(
            "POST", _CANDIDATES, entities, restli_method="batch_partial_update", group=Group.SYNC
        )

    async def delete_candidates(
        self, keys: Sequence[wire.CandidateKey]
    ) -> BatchResult[wire.CandidateKey, int]:
        return await self._delete(_CANDIDATES, [(key.fields(), key) for key in keys])

    async def upsert_candidate_notes(
        self, candidate: wire.CandidateKey, notes: Mapping[str, wire.Note]
    ) -> BatchResult[str, int]:
        return await self._put(_candidate_path(candidate, "notes"), _simple(notes))

    async def delete_candidate_notes(
        self, candidate: wire.CandidateKey, note_ids: Sequence[str]
    ) -> BatchResult[str, int]:
        return await self._delete(_candidate_path(candidate, "notes"), [(note, note) for note in note_ids])

    # ---- applications and their sub-collections (docs/linkedin.md#applications) ----

    async def upsert_applications(
        self, applications: Mapping[wire.ApplicationKey, wire.AtsApplication]
    ) -> BatchResult[wire.ApplicationKey, int]:
        return await self._put(
            _APPLICATIONS, {key: (key.fields(), record.to_wire()) for key, record in applications.items()}
        )

    async def delete_applications(
        self, keys: Sequence[wire.ApplicationKey]
    ) -> BatchResult[wire.ApplicationKey, int]:
        return await self._delete(_APPLICATIONS, [(key.fields(), key) for key in keys])

    async def upsert_application_notes(
        self, application: wire.ApplicationKey, notes: Mapping[str, wire.Note]
    ) -> BatchResult[str, int]:
        return await self._put(_application_path(application, "notes"), _simple(notes))

    async def delete_application_notes(
        self, application: wire.ApplicationKey, note_ids: Sequence[str]
    ) -> BatchResult[str, int]:
        return await self._delete(
            _application_path(application, "notes"), [(note, note) for note in note_ids]
        )

    async def upsert_interview_feedback(
        self, application: wire.ApplicationKey, feedback: Mapping[str, wire.InterviewFeedback]
    ) -> BatchResult[str, int]:
        return await self._put(_application_path(application, "interviewFeedback"), _simple(feedback))

    async def delete_interview_feedback(
        self, application: wire.ApplicationKey, feedback_ids: Sequence[str]
    ) -> BatchResult[str, int]:
        path = _application_path(application, "interviewFeedback")
        return await self._delete(path, [(item, item) for item in feedback_ids])

    async def upsert_stages(
        self, application: wire.ApplicationKey, stages: Mapping[str, wire.ApplicationStage]
    ) -> BatchResult[str, int]:
        return await self._put(_application_path(application, "stages"), _simple(stages))

    async def delete_stages(
        self, application: wire.ApplicationKey, stage_ids: Sequence[str]
    ) -> BatchResult[str, int]:
        return await self._delete(
            _application_path(application, "stages"), [(stage, stage) for stage in stage_ids]
        )

    # ---- ACLs (docs/linkedin.md#job-acls): all data lives in the key, the entity is an empty object ----

    async def upsert_acls(self, keys: Sequence[wire.AclKey]) -> BatchResult[wire.AclKey, int]:
        return await self._put(_ACLS, {key: (key.fields(), {}) for key in keys}, group=Group.ACLS)

    async def delete_acls(self, keys: Sequence[wire.AclKey]) -> BatchResult[wire.AclKey, int]:
        return await self._delete(_ACLS, [(key.fields(), key) for key in keys], group=Group.ACLS)

    async def find_acls(
        self,
        integration_context: str,
        *,
        ats_entity_id: str,
        ats_entity_type: str = "JOB_POSTING",
        start: int = 0,
        count: int = 100,
    ) -> wire.Page[wire.AclKey]:
        query = [
            restli.param("q", "criteria"),
            restli.param("atsEntityId", ats_entity_id),
            restli.param("atsEntityType", ats_entity_type),
            restli.param("dataProvider", wire.DATA_PROVIDER),
            restli.param("integrationContext", integration_context),
            restli.param("start", start),
            restli.param("count", count),
        ]
        return await self._transport.finder(_ACLS, query, wire.AclKey, group=Group.ACLS)

    async def upsert_acl_assignees(
        self, keys: Sequence[wire.AclAssigneeKey]
    ) -> BatchResult[wire.AclAssigneeKey, int]:
        return await self._put(_ACL_ASSIGNEES, {key: (key.fields(), {}) for key in keys}, group=Group.ACLS)

    async def delete_acl_assignees(
        self, keys: Sequence[wire.AclAssigneeKey]
    ) -> BatchResult[wire.AclAssigneeKey, int]:
        return await self._delete(_ACL_ASSIGNEES, [(key.fields(), key) for key in keys], group=Group.ACLS)

    async def find_acl_assignees(
        self, integration_context: str, *, assignee: str, start: int = 0, count: int = 100
    ) -> wire.Page[wire.AclAssigneeKey]:
        query = [
            restli.param("q", "criteria"),
            restli.param("assignee", assignee),
            restli.param("dataProvider", wire.DATA_PROVIDER),
            restli.param("integrationContext", integration_context),
            restli.param("start", start),
            restli.param("count", count),
        ]
        return await self._transport.finder(_ACL_ASSIGNEES, query, wire.AclAssigneeKey, group=Group.ACLS)

    # ---- shared shapes ----

    async def _put(
        self, path: str, entities: Mapping[K, tuple[restli.Key, dict[str, Any]]], *, group: Group = Group.SYNC
    ) -> BatchResult[K, int]:
        rows = [(encoded, key, entity) for key, (encoded, entity) in entities.items()]
        return await self._transport.batch_write("PUT", path, rows, restli_method="batch_update", group=group)

    async def _delete(
        self, path: str, keys: Sequence[tuple[restli.Key, K]], *, group: Group = Group.SYNC
    ) -> BatchResult[K, int]:
        rows = [(encoded, key, None) for encoded, key in keys]
        return await self._transport.batch_write("DELETE", path, rows, restli_method=None, group=group)


def _simple(records: Mapping[str, wire.Wire]) -> dict[str, tuple[restli.Key, dict[str, Any]]]:
    return {record_id: (record_id, record.to_wire()) for record_id, record in records.items()}


def _candidate_path(candidate: wire.CandidateKey, collection: str) -> str:
    # The parent key sits inside one path segment, `&`s and all (docs/linkedin.md#keys).
    return f"{_CANDIDATES}/{restli.encode_key(candidate.fields())}/{collection}"


def _application_path(application: wire.ApplicationKey, collection: str) -> str:
    return f"{_APPLICATIONS}/{restli.encode_key(application.fields())}/{collection}"
