"""Job-posting tasks: how LinkedIn finishes a posted job, and what a task answers (docs/linkedin.md#jobs)."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from .models import Task
from .restli import Key, make_key
from .world import World

NEEDS_A_JOB = ("UPDATE", "RENEW", "CLOSE")


def job_key(element: dict[str, Any]) -> Key:
    return make_key(
        {
            "integrationContext": str(element["integrationContext"]),
            "externalJobPostingId": str(element["externalJobPostingId"]),
        }
    )


def operation_failure(element: dict[str, Any], current: dict[str, Any] | None) -> str | None:
    """Why LinkedIn would not do the posting's `jobPostingOperationType` to the job as it stands now.

    Without an operation type the posting is an upsert by externalJobPostingId, as the service assumes
    (docs/linkedin.md#jobs). A closed job may be posted again with CREATE: that is how a job changes
    availability (close, then post again).
    """
    operation = element.get("jobPostingOperationType")
    external = element["externalJobPostingId"]
    if operation == "CREATE" and current is not None and current.get("state") != "CLOSED":
        return (
            f"Duplicate job posting: externalJobPostingId {external} is already listed; "
            "send UPDATE, RENEW or CLOSE for it"
        )
    if operation in NEEDS_A_JOB and current is None:
        return f"No job posting with externalJobPostingId {external} to {operation}: send CREATE first"
    if (
        operation == "UPDATE"
        and current is not None
        and current.get("availability") == "PUBLIC"
        and element.get("availability") == "PRIVATE_TO_ATS_INTEGRATION"
    ):
        return (
            "An UPDATE cannot move a basic job from PUBLIC to PRIVATE_TO_ATS_INTEGRATION: "
            "close the job, then post it again"
        )
    return None


def _settle(world: World, task: Task) -> None:
    task.settled = True
    task.processed = task.element.get("integrationContext") in world.job_feeds
    if task.failure:  # refused by LinkedIn's rules when posted: the job stays as it was
        return
    element = dict(task.element)
    jobs = world.collection("simpleJobPostings")
    key = job_key(element)
    # A failed operation leaves the last outcome standing (docs/linkedin.md#jobs).
    task.failure = operation_failure(element, jobs.get(key))
    if task.failure:
        return
    if element.get("jobPostingOperationType") == "CLOSE":
        element["state"] = "CLOSED"
    task.job_urn = world.job_urns.setdefault(key, f"urn:li:jobPosting:{world.next_id()}")
    op = "task_processed" if task.processed else "task_succeeded"
    jobs.put(key, element | {"jobPosting": task.job_urn}, world.clock.now_ms(), op, task.client_id)


def settle_tasks(world: World) -> None:
    """Finish, in posting order, each task whose delay passed on the simulator clock; drop expired ones."""
    due = world.now() - timedelta(seconds=world.config.task_completion_seconds)
    for task in world.tasks.values():
        if not task.settled and task.created_at <= due:
            _settle(world, task)
    horizon = world.now() - timedelta(days=world.config.task_lifetime_days)
    for urn in [u for u, t in world.tasks.items() if t.created_at < horizon]:
        del world.tasks[urn]


def task_view(world: World, task: Task) -> dict[str, Any]:
    """A task as `simpleJobPostingTasks` answers it: `errorMessage` is the documented name of the error
    (docs/linkedin.md#jobs); `message` repeats it."""
    view: dict[str, Any] = {
        "id": task.urn,
        "externalJobPostingId": task.element.get("externalJobPostingId"),
        "integrationContext": task.element.get("integrationContext"),
    }
    if not task.settled:
        return view | {"status": "IN_PROGRESS"}
    if task.failure:
        error = {"errorMessage": task.failure, "message": task.failure}
        return view | {"status": "PROCESSED" if task.processed else "FAILED"} | error
    return view | {"status": "PROCESSED" if task.processed else "SUCCEEDED", "jobPosting": task.job_urn}
