"""Candidates, applications and their notes, interview feedback and stages (sync group)."""

from __future__ import annotations

from starlette.responses import Response

from .. import schemas, validation
from ..batch import Batch, cascade_children
from ..call import Call, routes
from ..errors import RestliError
from ..matching import decorate_candidate
from ..resource import Resource
from ..restli import Key, parse_path_key
from ..world import World

CANDIDATE_KEY = ("atsCandidateId", "dataProvider", "integrationContext")
APPLICATION_KEY = ("atsJobApplicationId", "dataProvider", "integrationContext")
APPLICATION_CHILDREN = ("applicationNotes", "interviewFeedback", "stages")
# Applications and every sub-collection are upserted and deleted, never read back nor patched; candidates
# are also read (their matches) and patched (manualMatchedMember) (docs/linkedin.md#candidates).
WRITE_AND_DELETE = {"batch_update", "batch_delete"}


def _cascade_candidate(world: World, key: Key, at: int, app: str) -> None:
    # Deleting a candidate removes its notes (cert RSC-502); its applications are keyed on their own.
    cascade_children(world, key, ("candidateNotes",), at, app)


def _cascade_application(world: World, key: Key, at: int, app: str) -> None:
    cascade_children(world, key, APPLICATION_CHILDREN, at, app)


CANDIDATES = Resource(
    "atsCandidates",
    CANDIDATE_KEY,
    schema=schemas.CANDIDATE,
    validate=validation.candidate,
    cascade=_cascade_candidate,
    decorate=decorate_candidate,
)
APPLICATIONS = Resource(
    "atsApplications",
    APPLICATION_KEY,
    schema=schemas.APPLICATION,
    validate=validation.application,
    cascade=_cascade_application,
)
CANDIDATE_NOTES = Resource(
    "candidateNotes",
    CANDIDATE_KEY,
    child_field="noteId",
    schema=schemas.NOTE,
    validate=validation.note,
    parent="atsCandidates",
)
APPLICATION_SUBS = {
    "notes": Resource(
        "applicationNotes",
        APPLICATION_KEY,
        child_field="noteId",
        schema=schemas.NOTE,
        validate=validation.note,
        parent="atsApplications",
    ),
    "interviewFeedback": Resource(
        "interviewFeedback",
        APPLICATION_KEY,
        child_field="interviewFeedbackId",
        schema=schemas.INTERVIEW_FEEDBACK,
        validate=validation.interview_feedback,
        parent="atsApplications",
    ),
    "stages": Resource(
        "stages",
        APPLICATION_KEY,
        child_field="stageId",
        schema=schemas.STAGE,
        validate=validation.stage,
        parent="atsApplications",
    ),
}


def _parent(call: Call, fields: tuple[str, ...]) -> Key:
    key = parse_path_key(call.segments[1], call.protocol)
    if set(dict(key)) != set(fields):
        raise RestliError(400, f"Invalid parent key: expected fields {sorted(fields)}")
    return key


@routes.add("v2", "atsCandidates", {"batch_update", "batch_partial_update", "batch_get", "batch_delete"})
async def candidates(call: Call) -> Response:
    return Batch(call, CANDIDATES).dispatch()


@routes.add("v2", "atsCandidates/*/notes", WRITE_AND_DELETE)
async def candidate_notes(call: Call) -> Response:
    return Batch(call, CANDIDATE_NOTES, _parent(call, CANDIDATE_KEY)).dispatch()


@routes.add("v2", "atsApplications", WRITE_AND_DELETE)
async def applications(call: Call) -> Response:
    return Batch(call, APPLICATIONS).dispatch()


@routes.add("v2", "atsApplications/*/notes", WRITE_AND_DELETE)
@routes.add("v2", "atsApplications/*/interviewFeedback", WRITE_AND_DELETE)
@routes.add("v2", "atsApplications/*/stages", WRITE_AND_DELETE)
async def application_children(call: Call) -> Response:
    return Batch(call, APPLICATION_SUBS[call.segments[2]], _parent(call, APPLICATION_KEY)).dispatch()
