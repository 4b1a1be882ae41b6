"""Bad records in a full batch: the rest settle once, the bad ones die after one attempt, then a fix lands."""

from __future__ import annotations

import httpx
from fastapi import FastAPI

from rsc_service.context import AppContext
from rsc_service.outbox.dispatcher import Dispatcher
from tests.conftest import ADMIN_TOKEN, FrozenClock
from tests.factories import Ats, candidate
from tests.flows.conftest import linkedin_world, outbox_rows

ORG = "urn:li:organization:1001"
BAD = {"cand_013", "cand_050", "cand_099"}
IDS = [f"cand_{n:03d}" for n in range(1, 101)]
AUTH = {"Authorization": f"Bearer {ADMIN_TOKEN}"}


def puts(sim: FastAPI, ats_id: str) -> int:
    history = linkedin_world(sim).history(
        "atsCandidates", atsCandidateId=ats_id, dataProvider="ATS", integrationContext=ORG
    )
    return len(history)


class TestPoisonRecords:
    async def test_three_bad_records_in_a_batch_of_100(
        self, ats: Ats, dispatcher: Dispatcher, linkedin_sim: FastAPI, ctx_li: AppContext, clock: FrozenClock
    ) -> None:
        for ats_id in IDS:
            # LinkedIn refuses a candidate without a first name (docs/linkedin.md#candidates).
            first_name = "" if ats_id in BAD else f"Ada {ats_id}"
            response = await ats.send("candidate.created", candidate(ats_id, first_name=first_name))
            assert response.status_code == 202

        first = await dispatcher.drain_once()

        assert (first.batches, first.sent, first.dead, first.retried) == (1, 97, 3, 0)
        rows = {key: row for (_, key), row in (await outbox_rows(ctx_li)).items()}
        for ats_id in IDS:
            row = rows[ats_id]
            if ats_id in BAD:
                assert row.state == "dead" and row.attempts == 1
                assert row.last_error is not None and "/firstName" in row.last_error, row.last_error
                assert row.last_error.startswith("422 ")
                assert puts(linkedin_sim, ats_id) == 0
            else:
                assert row.state == "done" and row.landed_at is not None and row.last_error is None
                assert puts(linkedin_sim, ats_id) == 1

        # Nothing more goes out, however long we wait: dead letters stay put until fixed or replayed.
        clock.advance(hours=1)
        idle = await dispatcher.drain_once()
        assert (idle.claimed, idle.sent) == (0, 0)

        for ats_id in sorted(BAD):
            fixed = candidate(ats_id, version=2, first_name=f"Fixed {ats_id}")
            assert (await ats.send("candidate.updated", fixed)).status_code == 202
        second = await dispatcher.drain_once()

        assert (second.batches, second.sent, second.dead) == (1, 3, 0)
        rows = {key: row for (_, key), row in (await outbox_rows(ctx_li)).items()}
        assert all(row.state == "done" for row in rows.values())
        assert all(puts(linkedin_sim, ats_id) == 1 for ats_id in IDS)
        world = linkedin_world(linkedin_sim)
        for ats_id in BAD:
            stored = world.record(
                "atsCandidates", atsCandidateId=ats_id, dataProvider="ATS", integrationContext=ORG
            )
            assert stored is not None and stored["firstName"] == f"Fixed {ats_id}"

    async def test_replay_sends_only_the_dead_letters_and_twice_sends_nothing_more(
        self,
        ats: Ats,
        client: httpx.AsyncClient,
        dispatcher: Dispatcher,
        linkedin_sim: FastAPI,
        ctx_li: AppContext,
        clock: FrozenClock,
    ) -> None:
        for ats_id in IDS:
            first_name = "" if ats_id in BAD else f"Ada {ats_id}"
            await ats.send("candidate.created", candidate(ats_id, first_name=first_name))
        await dispatcher.drain_once()
        replay = f"/v1/admin/tenants/{ats.tenant_key}/dead-letters/replay"

        # Replayed before any fix: only the 3 go again, and LinkedIn refuses them again, once each.
        again = await client.post(replay, json={"all": True}, headers=AUTH)
        assert again.status_code == 200, again.text
        assert len(again.json()["replayed"]) == 3
        retried = await dispatcher.drain_once()
        assert (retried.batches, retried.sent, retried.dead) == (1, 0, 3)
        rows = {key: row for (_, key), row in (await outbox_rows(ctx_li)).items()}
        assert all(rows[ats_id].state == "dead" and rows[ats_id].attempts == 1 for ats_id in BAD)

        # The ATS fixes them (a new version each): exactly those 3 are delivered.
        for ats_id in sorted(BAD):
            await ats.send("candidate.updated", candidate(ats_id, version=2, first_name=f"Fixed {ats_id}"))
        fixed = await dispatcher.drain_once()
        assert (fixed.batches, fixed.sent, fixed.dead) == (1, 3, 0)

        twice = await client.post(replay, json={"all": True}, headers=AUTH)
        assert twice.status_code == 200, twice.text
        assert twice.json()["replayed"] == []
        assert (await dispatcher.drain_once()).claimed == 0
        assert all(puts(linkedin_sim, ats_id) == 1 for ats_id in IDS)
