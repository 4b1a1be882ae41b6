"""Ids as long as the webhook edge allows key every record built from them: a stage's key adds its index to
its application's id, an ACL's joins a user's group and a job's id, percent-quoted
(docs/architecture.md#4-the-outbox)."""

from __future__ import annotations

from fastapi import FastAPI

from rsc_service.context import AppContext
from rsc_service.outbox.dispatcher import Dispatcher
from tests.conftest import FrozenClock
from tests.factories import Ats, application, candidate, job
from tests.flows.conftest import assert_all_done, drain, linkedin_world, outbox_rows

ORG = "urn:li:organization:1001"
LONGEST = 200  # mirror/changes.py's MAX_ID


def _id(prefix: str, fill: str = "x") -> str:
    return prefix + fill * (LONGEST - len(prefix))


async def test_records_keyed_by_the_longest_ids_are_owed_and_land(
    ats: Ats, dispatcher: Dispatcher, linkedin_sim: FastAPI, clock: FrozenClock, ctx_li: AppContext
) -> None:
    job_id, candidate_id, application_id = _id("job_"), _id("cand_"), _id("app_")
    user_id = _id("usr_", "é")  # percent-quoted in the ACL's key: six characters each
    history = [
        {"stage": stage, "entered_at": f"2026-11-0{day}T09:00:00Z"}
        for day, stage in enumerate(["Applied", "Phone screen", "Onsite"], start=2)
    ]

    for kind, record in [
        ("job", job(job_id, restricted=True, hiring_team=[{"user_id": user_id, "role": "recruiter"}])),
        ("candidate", candidate(candidate_id)),
        (
            "application",
            application(application_id, candidate_id=candidate_id, job_id=job_id, stage_history=history),
        ),
    ]:
        response = await ats.send(f"{kind}.created", record)
        assert response.status_code == 202, response.text
    await drain(dispatcher, clock, rounds=30)

    await assert_all_done(ctx_li)
    keys = dict(list(await outbox_rows(ctx_li)))  # resource → key
    assert len(keys["atsEntityAcls"]) > 1000  # longer than the longest id: no column cuts it
    world = linkedin_world(linkedin_sim)
    stages = world.collection("stages").where(atsJobApplicationId=application_id, integrationContext=ORG)
    assert sorted(dict(key)["stageId"] for key, _ in stages) == [f"{application_id}-{i}" for i in range(3)]
    [(acl, _)] = world.collection("atsEntityAcls").where(atsEntityId=job_id)
    assert dict(acl)["atsEntityAclId"] == f"user-{user_id}"
