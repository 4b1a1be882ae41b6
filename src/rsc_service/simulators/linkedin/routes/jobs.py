"""Jobs, asynchronous as LinkedIn runs them: batch_create answers task ids, tasks finish later."""

from __future__ import annotations

import uuid
from datetime import timedelta
from typing import Any

from starlette.responses import JSONResponse, Response

from .. import validation
from ..call import Call, routes
from ..errors import RestliError, entity_error
from ..models import Task
from ..restli import make_key
from ..world import World

OPERATIONS = {"CREATE", "UPDATE", "RENEW", "CLOSE"}


def settle_tasks(world: World) -> None:
    """Finish every task whose delay has passed on the simulator clock, applying the job it carried."""
    due = world.now() - timedelta(seconds=world.config.task_completion_seconds)
    jobs = world.collection("simpleJobPostings")
    for task in world.tasks.values():
        if task.settled or task.created_at > due:
            continue
        task.settled = True
        if task.failure:
            continue
        element = dict(task.element)
        key = make_key(
            {
                "integrationContext": element["integrationContext"],
                "externalJobPostingId": element["externalJobPostingId"],
            }
        )
        if element.get("jobPostingOperationType") == "CLOSE":
            element["state"] = "CLOSED"
        current = jobs.get(key)
        if element.get("jobPostingOperationType") == "UPDATE" and current is None:
            task.failure = "The job posting to update does not exist"
            continue
        task.job_urn = world.job_urns.setdefault(key, f"urn:li:jobPosting:{world.next_id()}")
        jobs.put(
            key,
            element | {"jobPosting": task.job_urn},
            world.clock.now_ms(),
            "task_succeeded",
            task.client_id,
        )
    horizon = world.now() - timedelta(days=world.config.task_lifetime_days)
    for urn in [u for u, t in world.tasks.items() if t.created_at < horizon]:
        del world.tasks[urn]


def task_view(world: World, task: Task) -> dict[str, Any]:
    view: dict[str, Any] = {
        "id": task.urn,
        "externalJobPostingId": task.element.get("externalJobPostingId"),
        "integrationContext": task.element.get("integrationContext"),
    }
    if not task.settled:
        return view | {"status": "IN_PROGRESS"}
    if task.failure:
        return view | {"status": "FAILED", "message": task.failure}
    return view | {"status": "SUCCEEDED", "jobPosting": task.job_urn}


def _failure(element: dict[str, Any]) -> str | None:
    problems = validation.job(element)
    operation = element.get("jobPostingOperationType")
    if operation is not None and operation not in OPERATIONS:
        problems.append(
            f"ERROR :: /jobPostingOperationType :: {operation!r} is not one of {sorted(OPERATIONS)}"
        )
    return "\n".join(problems) or None


@routes.add("v2", "simpleJobPostings")
async def job_postings(call: Call) -> Response:
    if call.restli_method != "batch_create":
        raise RestliError(400, f"Method {call.restli_method} is not supported on simpleJobPostings")
    body = call.json_body()
    elements = body.get("elements") if isinstance(body, dict) else None
    if not isinstance(elements, list) or not elements:
        raise RestliError(400, "The request body must hold a non-empty elements array")
    if len(elements) > call.world.config.batch_max:
        raise RestliError(
            400, f"Too many entities in a batch: {len(elements)} (maximum {call.world.config.batch_max})"
        )
    ids = [e.get("externalJobPostingId") for e in elements if isinstance(e, dict)]
    if len(ids) != len(set(ids)):
        raise RestliError(400, "Duplicate externalJobPostingId in one request")
    for context in sorted({str(e.get("integrationContext")) for e in elements if isinstance(e, dict)}):
        call.check_context(context, "simpleJobPostings")
    call.world.throttle.charge("sync", call.caller.app.client_id, len(elements), call.world.now())
    answers: list[dict[str, Any]] = []
    for element in elements:
        if not isinstance(element, dict):
            answers.append(entity_error(400, "Element must be a JSON object"))
            continue
        task = Task(
            f"urn:li:simpleJobPostingTask:{uuid.uuid4()}",
            call.caller.app.client_id,
            element,
            call.world.now(),
            _failure(element),
        )
        call.world.tasks[task.urn] = task
        answers.append({"status": 201, "id": task.urn, "location": f"/v2/simpleJobPostingTasks/{task.urn}"})
    settle_tasks(call.world)
    return JSONResponse({"elements": answers})


@routes.add("v2", "simpleJobPostingTasks")
async def job_posting_tasks(call: Call) -> Response:
    if call.restli_method != "batch_get":
        raise RestliError(400, f"Method {call.restli_method} is not supported on simpleJobPostingTasks")
    ids = call.query.batch_ids(compound=False)
    if len(ids) > call.world.config.batch_max:
        raise RestliError(
            400, f"Too many entities in a batch: {len(ids)} (maximum {call.world.config.batch_max})"
        )
    results: dict[str, Any] = {}
    errors: dict[str, Any] = {}
    statuses: dict[str, int] = {}
    for urn in ids:
        assert isinstance(urn, str)
        task = call.world.tasks.get(urn)
        if task is None or task.client_id != call.caller.app.client_id:
            errors[urn] = entity_error(404, f"Task {urn} not found")
            statuses[urn] = 404
            continue
        results[urn] = task_view(call.world, task)
        statuses[urn] = 200
    return JSONResponse({"results": results, "statuses": statuses, "errors": errors})
