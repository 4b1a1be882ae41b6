"""Versioned `/rest` twins of the sync resources (protocol 2.0, renamed fields, no dataProvider in keys)."""

from __future__ import annotations

from dataclasses import replace

from starlette.responses import Response

from ..batch import Batch
from ..call import Call, routes
from ..resource import Resource
from ..schemas import CANDIDATE, NOTE, TIME
from .integrations import INTEGRATION_METHODS, INTEGRATIONS
from .sync import APPLICATION_SUBS, CANDIDATE_NOTES, CANDIDATES, WRITE_AND_DELETE

ATS = {"dataProvider": "ATS"}
TIMES = {"externalCreatedAt": "atsCreatedAt", "externalLastModifiedAt": "atsLastModifiedAt"}

# The twins rename the time fields (docs/linkedin.md#versions-and-protocol); a /v2 name sent to them is
# unrecognized, like a /rest name sent to /v2 (docs/linkedin.md#values).
REST_CANDIDATES = replace(
    CANDIDATES,
    schema=CANDIDATE.renamed(TIMES),
    wire_keys={"externalCandidateId": "atsCandidateId"},
    wire_constants=ATS,
    wire_fields=TIMES,
)
REST_NOTE = NOTE.renamed(TIMES, externalLastModifiedAt=TIME)
REST_CANDIDATE_NOTES = replace(
    CANDIDATE_NOTES,
    schema=REST_NOTE,
    key_fields=(*CANDIDATE_NOTES.key_fields, "noteId"),
    child_field=None,
    child_key="noteId",
    wire_keys={"externalCandidateId": "atsCandidateId", "externalNoteId": "noteId"},
    wire_constants=ATS,
    wire_fields=TIMES,
)
REST_APPLICATION_NOTES = replace(
    APPLICATION_SUBS["notes"],
    schema=REST_NOTE,
    key_fields=(*APPLICATION_SUBS["notes"].key_fields, "noteId"),
    child_field=None,
    child_key="noteId",
    wire_keys={"externalJobApplicationId": "atsJobApplicationId", "externalNoteId": "noteId"},
    wire_constants=ATS,
    wire_fields=TIMES,
)
REST_INTEGRATIONS = replace(INTEGRATIONS, group="rest/integrations", wire_constants=ATS)
REST_RESOURCES: dict[str, Resource] = {
    "candidates": REST_CANDIDATES,
    "candidateNotes": REST_CANDIDATE_NOTES,
    "applicationNotes": REST_APPLICATION_NOTES,
    "integrations": REST_INTEGRATIONS,
}


@routes.add("rest", "candidates", {"batch_update", "batch_get", "batch_delete"})
@routes.add("rest", "candidateNotes", WRITE_AND_DELETE)
@routes.add("rest", "applicationNotes", WRITE_AND_DELETE)
@routes.add("rest", "integrations", INTEGRATION_METHODS)
async def rest_resource(call: Call) -> Response:
    return Batch(call, REST_RESOURCES[call.segments[0]]).dispatch()
