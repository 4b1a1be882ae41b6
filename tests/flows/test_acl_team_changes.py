"""A restricted job's ACLs follow its hiring team (docs/linkedin.md#job-acls): a member taken off the team, or
the restriction lifted, must not leave the job hidden behind ACLs LinkedIn still holds."""

from __future__ import annotations

import httpx
from fastapi import FastAPI

from rsc_service.context import AppContext
from rsc_service.outbox.dispatcher import Dispatcher
from rsc_service.push import service as push_service
from rsc_service.tenants import service as tenant_service
from tests.conftest import FrozenClock
from tests.factories import Ats, job
from tests.flows.conftest import add_fault, deactivated, drain, linkedin_world, outbox_rows

ACLS = "atsEntityAcls"


def _team(*users: str) -> list[dict[str, str]]:
    return [{"user_id": user, "role": "recruiter"} for user in users]


def _groups(linkedin_sim: FastAPI, job_id: str = "job_1") -> set[str]:
    found = linkedin_world(linkedin_sim).collection(ACLS).where(atsEntityId=job_id)
    return {dict(key)["atsEntityAclId"] for key, _ in found}


async def _restricted(ats: Ats, *users: str, version: int = 1, job_id: str = "job_1") -> None:
    updated = f"2026-11-0{version}T09:00:00Z"
    data = job(job_id, version=version, updated_at=updated, restricted=True, hiring_team=_team(*users))
    assert (await ats.send("job.created" if version == 1 else "job.updated", data)).status_code == 202


class TestAclsFollowTheTeam:
    async def test_a_member_taken_off_the_team_no_longer_sees_the_job(
        self, ats: Ats, dispatcher: Dispatcher, linkedin_sim: FastAPI, ctx_li: AppContext, clock: FrozenClock
    ) -> None:
        await _restricted(ats, "usr_alice", "usr_bob")
        await drain(dispatcher, clock, rounds=20)
        assert _groups(linkedin_sim) == {"user-usr_alice", "user-usr_bob"}

        await _restricted(ats, "usr_alice", version=2)
        await drain(dispatcher, clock, rounds=20)

        assert _groups(linkedin_sim) == {"user-usr_alice"}
        rows = await outbox_rows(ctx_li)
        assert (rows[(ACLS, "user-usr_bob/job_1")].op, rows[(ACLS, "user-usr_bob/job_1")].state) == (
            "delete",
            "done",
        )

    async def test_a_job_no_longer_restricted_loses_its_acls(
        self, ats: Ats, dispatcher: Dispatcher, linkedin_sim: FastAPI, clock: FrozenClock
    ) -> None:
        await _restricted(ats, "usr_alice", "usr_bob")
        await drain(dispatcher, clock, rounds=20)

        lifted = job(
            version=2, updated_at="2026-11-02T09:00:00Z", restricted=False, hiring_team=_team("usr_alice")
        )
        assert (await ats.send("job.updated", lifted)).status_code == 202
        await drain(dispatcher, clock, rounds=20)

        assert _groups(linkedin_sim) == set()

    async def test_acls_of_several_jobs_go_in_one_request(
        self, ats: Ats, dispatcher: Dispatcher, linkedin_sim: FastAPI, clock: FrozenClock
    ) -> None:
        for job_id in ("job_1", "job_2", "job_3"):
            await _restricted(ats, "usr_alice", job_id=job_id)
        await drain(dispatcher, clock, rounds=20)

        assert all(
            _groups(linkedin_sim, job_id) == {"user-usr_alice"} for job_id in ("job_1", "job_2", "job_3")
        )
        requests = [r for r in linkedin_world(linkedin_sim).requests if r["path"].endswith(f"/{ACLS}")]
        assert len(requests) == 1, [(r["method"], r["query"]) for r in requests]

    async def test_a_deactivation_deletes_the_acls_of_several_jobs_in_one_request(
        self,
        ats: Ats,
        dispatcher: Dispatcher,
        linkedin_sim: FastAPI,
        client: httpx.AsyncClient,
        ctx_li: AppContext,
        clock: FrozenClock,
    ) -> None:
        jobs = ("job_1", "job_2", "job_3")
        for job_id in jobs:
            await _restricted(ats, "usr_alice", job_id=job_id)
        await drain(dispatcher, clock, rounds=20)
        sent = len(linkedin_world(linkedin_sim).requests)

        await deactivated(client, ctx_li, clock, ats.tenant_key)

        assert all(_groups(linkedin_sim, job_id) == set() for job_id in jobs)
        requests = list(linkedin_world(linkedin_sim).requests)[sent:]
        deleting = [r for r in requests if r["path"].endswith(f"/{ACLS}")]
        assert len(deleting) == 1, [(r["method"], r["query"]) for r in deleting]

    async def test_a_replayed_dead_acl_of_a_member_taken_off_the_team_is_not_sent(
        self,
        ats: Ats,
        dispatcher: Dispatcher,
        linkedin_sim: FastAPI,
        linkedin_http: httpx.AsyncClient,
        ctx_li: AppContext,
        clock: FrozenClock,
    ) -> None:
        await add_fault(linkedin_http, kind="error", status=400, pathPrefix=f"/v2/{ACLS}")
        await _restricted(ats, "usr_alice", "usr_bob")
        await drain(dispatcher, clock, rounds=20)
        assert (await outbox_rows(ctx_li))[(ACLS, "user-usr_bob/job_1")].state == "dead"
        assert (await linkedin_http.delete("/_sim/faults")).status_code in {200, 204}

        await _restricted(ats, "usr_alice", version=2)
        async with ctx_li.sessionmaker.begin() as session:
            tenant = await tenant_service.get_by_key(session, ats.tenant_key)
            await push_service.replay_dead_letters(
                session, tenant=tenant, ids=None, replay_all=True, now=clock()
            )
        await drain(dispatcher, clock, rounds=20)

        assert _groups(linkedin_sim) == {"user-usr_alice"}
        written = linkedin_world(linkedin_sim).collection(ACLS).history
        assert {dict(key)["atsEntityAclId"] for key in written} == {"user-usr_alice"}
