"""Jobs, asynchronous as LinkedIn runs them: batch_create answers task ids, tasks finish later."""

from __future__ import annotations

import uuid
from typing import Any

from starlette.responses import JSONResponse, Response

from .. import validation
from ..call import Call, routes
from ..errors import RestliError, entity_error
from ..job_tasks import settle_tasks, task_view
from ..models import Task
from ..schemas import JOB, ORGANIZATION_URN_FORM, check


def _refused(status: int, message: str) -> dict[str, Any]:
    """A batch_create element refused in place (docs/linkedin.md#batches)."""
    return {"status": status, "error": entity_error(status, message)}


def _answer(call: Call, element: Any) -> dict[str, Any]:
    """One element's answer: refused in place by Rest.li's schema, or a task that finishes later.

    docs/linkedin.md#jobs shows a missing required field refused in place with 422; LinkedIn's own rules
    (title length, location, premium listings) and the operation type are judged by the task.
    """
    if not isinstance(element, dict):
        return _refused(400, "Element must be a JSON object")
    world = call.world
    problems = check(element, JOB, world.config.times)
    if problems:
        return _refused(world.config.entity_error_status, "\n".join(problems))
    failure = "\n".join(validation.job(element)) or None
    task = Task(
        f"urn:li:simpleJobPostingTask:{uuid.uuid4()}",
        call.caller.app.client_id,
        element,
        world.now(),
        failure,
    )
    world.tasks[task.urn] = task
    return {"status": 201, "id": task.urn, "location": f"/v2/simpleJobPostingTasks/{task.urn}"}


@routes.add("v2", "simpleJobPostings", {"batch_create"})
async def job_postings(call: Call) -> Response:
    body = call.json_body()
    elements = body.get("elements") if isinstance(body, dict) else None
    if not isinstance(elements, list) or not elements:
        raise RestliError(400, "The request body must hold a non-empty elements array")
    if len(elements) > call.world.config.batch_max:
        raise RestliError(
            400, f"Too many entities in a batch: {len(elements)} (maximum {call.world.config.batch_max})"
        )
    # Only strings are ids or contexts; any other value is refused in place by the schema (schemas.JOB).
    written = [e for e in elements if isinstance(e, dict)]
    ids = [i for e in written if isinstance(i := e.get("externalJobPostingId"), str)]
    if len(ids) != len(set(ids)):
        raise RestliError(400, "Duplicate externalJobPostingId in one request")
    contexts = {c for e in written if isinstance(c := e.get("integrationContext"), str)}
    for context in sorted(c for c in contexts if ORGANIZATION_URN_FORM.match(c)):
        call.check_context(context, "simpleJobPostings")
    # Job posts have a budget of their own, not the sync group's; its size is not published, so none is
    # enforced by default (docs/linkedin.md#throttles).
    call.charge("simpleJobPostings", len(elements))
    answers = [_answer(call, element) for element in elements]
    settle_tasks(call.world)
    return JSONResponse({"elements": answers})


@routes.add("v2", "simpleJobPostingTasks", {"batch_get"})
async def job_posting_tasks(call: Call) -> Response:
    ids = call.query.batch_ids(compound=False)
    if len(ids) > call.world.config.batch_max:
        raise RestliError(
            400, f"Too many entities in a batch: {len(ids)} (maximum {call.world.config.batch_max})"
        )
    # Task reads have a daily budget of their own (docs/linkedin.md#throttles).
    call.charge("simpleJobPostingTasks", len(ids))
    results: dict[str, Any] = {}
    errors: dict[str, Any] = {}
    statuses: dict[str, int] = {}
    for urn in ids:
        assert isinstance(urn, str)
        task = call.world.tasks.get(urn)
        if task is None or task.client_id != call.caller.app.client_id:
            # Unknown, another app's, or expired: a task id lives task_lifetime_days (docs/linkedin.md#jobs).
            errors[urn] = entity_error(404, f"Task {urn} not found")
            statuses[urn] = 404
            continue
        results[urn] = task_view(call.world, task)
        statuses[urn] = 200
    return JSONResponse({"results": results, "statuses": statuses, "errors": errors})
