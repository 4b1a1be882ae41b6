"""Versioned `/rest` twins of the sync resources (protocol 2.0, renamed fields, no dataProvider in keys)."""

from __future__ import annotations

from dataclasses import replace

from starlette.responses import Response

from ..batch import Batch, Resource
from ..call import Call, routes
from .integrations import INTEGRATIONS
from .sync import APPLICATION_SUBS, CANDIDATE_NOTES, CANDIDATES

ATS = {"dataProvider": "ATS"}
TIMES = {"externalCreatedAt": "atsCreatedAt", "externalLastModifiedAt": "atsLastModifiedAt"}

REST_CANDIDATES = replace(
    CANDIDATES, wire_keys={"externalCandidateId": "atsCandidateId"}, wire_constants=ATS, wire_fields=TIMES
)
REST_CANDIDATE_NOTES = replace(
    CANDIDATE_NOTES,
    key_fields=(*CANDIDATE_NOTES.key_fields, "noteId"),
    child_field=None,
    child_key="noteId",
    wire_keys={"externalCandidateId": "atsCandidateId", "externalNoteId": "noteId"},
    wire_constants=ATS,
    wire_fields=TIMES,
)
REST_APPLICATION_NOTES = replace(
    APPLICATION_SUBS["notes"],
    key_fields=(*APPLICATION_SUBS["notes"].key_fields, "noteId"),
    child_field=None,
    child_key="noteId",
    wire_keys={"externalJobApplicationId": "atsJobApplicationId", "externalNoteId": "noteId"},
    wire_constants=ATS,
    wire_fields=TIMES,
)
REST_INTEGRATIONS = replace(INTEGRATIONS, wire_constants=ATS)
REST_RESOURCES: dict[str, Resource] = {
    "candidates": REST_CANDIDATES,
    "candidateNotes": REST_CANDIDATE_NOTES,
    "applicationNotes": REST_APPLICATION_NOTES,
    "integrations": REST_INTEGRATIONS,
}


@routes.add("rest", "candidates")
@routes.add("rest", "candidateNotes")
@routes.add("rest", "applicationNotes")
@routes.add("rest", "integrations")
async def rest_resource(call: Call) -> Response:
    return Batch(call, REST_RESOURCES[call.segments[0]]).dispatch()
