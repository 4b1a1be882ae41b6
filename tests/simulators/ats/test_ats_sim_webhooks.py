"""Webhooks from the fake ATS: signed per Standard Webhooks, retried on schedule, and steerable faults."""

from __future__ import annotations

import json
from typing import Any

import httpx
import pytest
from fastapi import FastAPI

from rsc_service.integrations.ats import signatures, wire
from rsc_service.simulators.ats.webhooks import Faults, WebhookSender
from rsc_service.simulators.ats.world import World
from tests.simulators.ats.fakes import SECRET, Clock, Receiver


def sender(sim: FastAPI) -> WebhookSender:
    webhooks: WebhookSender = sim.state.webhooks
    return webhooks


def parsed(receiver: Receiver) -> list[wire.WebhookEvent]:
    return [wire.parse_event(body) for _, body in receiver.requests]


def a_candidate(world: World) -> dict[str, Any]:
    return next(iter(world.stores["candidate"].live()))


class TestEmission:
    async def test_every_change_is_signed_and_parses(
        self, sim: FastAPI, world: World, receiver: Receiver, clock: Clock
    ) -> None:
        job = world.create("job", {"title": "Robotics Engineer", "privacy": "private", "listed": False})
        world.update("job", job["id"], {"status": "closed"})
        world.delete("job", job["id"])

        assert await sender(sim).flush()
        for headers, body in receiver.requests:
            signatures.verify(body, headers, [SECRET], now=clock.now)
        events = parsed(receiver)
        assert [(e.type, e.data.version) for e in events] == [
            ("job.created", 1),
            ("job.updated", 2),
            ("job.deleted", 3),
        ]
        assert isinstance(events[1], wire.JobChanged)
        assert events[1].data.closed_at == clock.now
        assert events[2].deleted
        assert receiver.event_ids == [e.id for e in events]

    async def test_stage_change_event_extends_the_history(
        self, sim: FastAPI, world: World, receiver: Receiver
    ) -> None:
        application = next(iter(world.stores["application"].live()))
        world.update("application", application["id"], {"stage": "Offer"}, by="usr_000001")

        await sender(sim).flush()
        (event,) = parsed(receiver)

        assert isinstance(event, wire.ApplicationChanged)
        assert event.type == "application.stage_changed"
        assert event.data.stage_history[-1].stage == "Offer"
        assert event.data.stage_history[-1].changed_by_user_id == "usr_000001"
        assert len(event.data.stage_history) == len(application["stage_history"]) + 1

    async def test_deleting_a_candidate_deletes_its_children_first(
        self, sim: FastAPI, world: World, receiver: Receiver
    ) -> None:
        application = next(iter(world.stores["application"].live()))
        world.create(
            "note",
            {"candidate_id": application["candidate_id"], "application_id": application["id"], "body": "hi"},
        )
        world.delete("candidate", application["candidate_id"])

        await sender(sim).flush()
        types = [event.type for event in parsed(receiver)]

        assert types[0] == "note.created"
        assert types[-1] == "candidate.deleted"
        assert "application.deleted" in types
        assert types.index("note.deleted") < types.index("application.deleted")
        deleted_note = next(e for e in parsed(receiver) if e.type == "note.deleted")
        assert isinstance(deleted_note.data, wire.NoteTombstone)
        assert deleted_note.data.application_id == application["id"]

    async def test_service_writes_raise_webhooks_too(
        self, sim: FastAPI, ats: httpx.AsyncClient, receiver: Receiver
    ) -> None:
        body = {"external_id": "stub:1", "first_name": "Rae", "last_name": "Kim"}
        await ats.post("/candidates", json=body)
        await ats.post("/candidates", json=body)

        await sender(sim).flush()

        assert [event.type for event in parsed(receiver)] == ["candidate.created"]

    async def test_rotation_signs_with_every_secret(
        self, sim: FastAPI, world: World, receiver: Receiver, clock: Clock
    ) -> None:
        new = signatures.new_secret()
        sender(sim).configure(url=sender(sim).url, secrets=[new, SECRET])
        world.update("candidate", a_candidate(world)["id"], {"do_not_contact": True})

        await sender(sim).flush()
        headers, body = receiver.requests[0]

        assert len(headers["webhook-signature"].split(" ")) == 2
        signatures.verify(body, headers, [new], now=clock.now)

    async def test_announce_sends_every_record_parents_first(
        self, sim: FastAPI, world: World, receiver: Receiver
    ) -> None:
        sent = world.announce()

        await sender(sim).flush()
        kinds = [event.data.kind for event in parsed(receiver)]

        assert (
            sent
            == len(kinds)
            == sum(
                world.count(kind)
                for kind in ("user", "job", "candidate", "application", "note", "interview_feedback")
            )
        )
        assert kinds.index("candidate") > kinds.index("job") > kinds.index("user")
        assert max(i for i, k in enumerate(kinds) if k == "candidate") < kinds.index("application")


class TestRetries:
    async def test_failures_are_retried_until_accepted(
        self, sim: FastAPI, world: World, receiver: Receiver
    ) -> None:
        receiver.statuses = [500, 503]
        world.update("candidate", a_candidate(world)["id"], {"current_title": "CTO"})

        assert await sender(sim).flush()
        (delivery,) = sender(sim).deliveries

        assert [attempt.status for attempt in delivery.attempts] == [500, 503, 202]
        assert delivery.state == "delivered"
        assert len(set(receiver.event_ids)) == 1

    async def test_gives_up_after_the_last_scheduled_attempt(
        self, sim: FastAPI, world: World, receiver: Receiver
    ) -> None:
        receiver.statuses = [500] * 10
        world.update("candidate", a_candidate(world)["id"], {"current_title": "CTO"})

        assert await sender(sim).flush()
        (delivery,) = sender(sim).deliveries

        assert delivery.state == "failed"
        assert len(delivery.attempts) == 4  # the configured schedule has four entries

    @pytest.mark.parametrize("status", [404, 410])
    async def test_unknown_tenant_or_gone_stops_at_once(
        self, sim: FastAPI, world: World, receiver: Receiver, status: int
    ) -> None:
        receiver.statuses = [status]
        world.update("candidate", a_candidate(world)["id"], {"current_title": "CTO"})

        await sender(sim).flush()

        assert [(d.state, len(d.attempts)) for d in sender(sim).deliveries] == [("failed", 1)]

    async def test_attempts_follow_the_scaled_schedule(
        self, sim: FastAPI, world: World, receiver: Receiver
    ) -> None:
        receiver.statuses = [500, 500, 500]
        world.update("candidate", a_candidate(world)["id"], {"current_title": "CTO"})

        await sender(sim).flush()
        gaps = [
            later - earlier for earlier, later in zip(receiver.arrived, receiver.arrived[1:], strict=False)
        ]

        # schedule [0, 5, 300, 1800] s at scale 0.0001: waits of 0.5 ms, 30 ms and 180 ms
        assert len(receiver.arrived) == 4
        assert gaps[1] >= 0.03
        assert gaps[2] >= 0.18
        assert gaps[2] > gaps[1] > gaps[0]


class TestFaults:
    async def test_drop_never_sends(self, sim: FastAPI, world: World, receiver: Receiver) -> None:
        sender(sim).set_faults(Faults(drop=1.0))
        world.update("candidate", a_candidate(world)["id"], {"current_title": "CTO"})

        await sender(sim).flush()

        assert receiver.requests == []
        assert [d.state for d in sender(sim).deliveries] == ["dropped"]

    async def test_duplicate_sends_the_same_event_twice(
        self, sim: FastAPI, world: World, receiver: Receiver
    ) -> None:
        sender(sim).set_faults(Faults(duplicate=1.0))
        world.update("candidate", a_candidate(world)["id"], {"current_title": "CTO"})

        await sender(sim).flush()

        assert len(receiver.requests) == 2
        assert receiver.requests[0][1] == receiver.requests[1][1]
        assert receiver.event_ids[0] == receiver.event_ids[1]

    async def test_pause_and_release_in_reverse(self, sim: FastAPI, world: World, receiver: Receiver) -> None:
        candidate_id = a_candidate(world)["id"]
        sender(sim).pause()
        for title in ("A", "B", "C"):
            world.update("candidate", candidate_id, {"current_title": title})

        assert not await sender(sim).flush(within=0.05)
        assert sender(sim).release("reverse") == 3
        await sender(sim).flush()

        assert [event.data.version for event in parsed(receiver)] == [4, 3, 2]

    async def test_reorder_lets_later_events_overtake(
        self, sim: FastAPI, world: World, receiver: Receiver
    ) -> None:
        candidates = list(world.stores["candidate"].live())[:2]
        sender(sim).set_faults(Faults(reorder=1.0, reorder_seconds=0.05))
        world.update("candidate", candidates[0]["id"], {"current_title": "first"})
        sender(sim).set_faults(Faults())
        world.update("candidate", candidates[1]["id"], {"current_title": "second"})

        await sender(sim).flush()

        assert [event.data.id for event in parsed(receiver)] == [candidates[1]["id"], candidates[0]["id"]]

    async def test_delay_holds_an_event_back(self, sim: FastAPI, world: World, receiver: Receiver) -> None:
        sender(sim).set_faults(Faults(delay=1.0, delay_seconds=0.05))
        world.update("candidate", a_candidate(world)["id"], {"current_title": "late"})

        assert not await sender(sim).flush(within=0.01)
        assert await sender(sim).flush(within=2)
        assert len(receiver.requests) == 1

    async def test_rates_are_deterministic_by_seed(
        self, sim: FastAPI, world: World, receiver: Receiver
    ) -> None:
        sender(sim).set_faults(Faults(duplicate=0.3, drop=0.1, seed=42))
        for candidate in list(world.stores["candidate"].live()):
            world.update("candidate", candidate["id"], {"current_title": "x"})
        await sender(sim).flush()
        first_run = [(d.event_type, d.copy, d.state) for d in sender(sim).deliveries]

        states = {state for _, _, state in first_run}
        assert states == {"delivered", "dropped"}
        assert any(copy for _, copy, _ in first_run)


class TestControlApi:
    async def test_sim_routes_change_records_and_report_deliveries(
        self, sim: FastAPI, ats: httpx.AsyncClient, receiver: Receiver
    ) -> None:
        created = await ats.post(
            "/_sim/records/user", json={"email": "new@x.example", "first_name": "N", "last_name": "U"}
        )
        user_id = created.json()["id"]
        await ats.patch(f"/_sim/records/user/{user_id}", json={"active": False})
        await ats.delete(f"/_sim/records/user/{user_id}")
        flushed = await ats.post("/_sim/webhooks/flush")

        deliveries = (await ats.get("/_sim/deliveries")).json()
        state = (await ats.get("/_sim/state")).json()
        record = (await ats.get(f"/_sim/records/user/{user_id}")).json()

        assert created.status_code == 201
        assert flushed.json()["idle"] is True
        assert [d["event_type"] for d in deliveries] == ["user.created", "user.updated", "user.deleted"]
        assert all(d["attempts"][0]["status"] == 202 for d in deliveries)
        assert state["deliveries"] == {"delivered": 3}
        assert record["version"] == 3
        assert record["deleted_at"]

    async def test_sim_refuses_unknown_fields(self, ats: httpx.AsyncClient) -> None:
        response = await ats.post("/_sim/records/job", json={"title": "X", "colour": "red"})

        assert response.status_code == 422
        assert "colour" in response.json()["detail"]

    async def test_target_faults_pause_release_over_http(
        self, ats: httpx.AsyncClient, receiver: Receiver, world: World
    ) -> None:
        candidate_id = a_candidate(world)["id"]
        await ats.put(
            "/_sim/webhooks/target",
            json={"url": "http://service.test/v1/webhooks/ats/t2", "secrets": [SECRET]},
        )
        await ats.put("/_sim/webhooks/faults", json={"duplicate": 1.0})
        await ats.post("/_sim/webhooks/pause")
        await ats.patch(f"/_sim/records/candidate/{candidate_id}", json={"current_title": "Z"})
        released = await ats.post("/_sim/webhooks/release", params={"order": "reverse"})
        await ats.post("/_sim/webhooks/flush")

        assert released.json() == {"released": 2}
        assert len(receiver.requests) == 2
        assert json.loads(receiver.requests[0][1])["data"]["current_title"] == "Z"

    async def test_writes_and_duplicates_are_listed(self, ats: httpx.AsyncClient) -> None:
        body = {"external_id": "e:1", "first_name": "A", "last_name": "B"}
        await ats.post("/candidates", json=body)
        await ats.post("/candidates", json=body)

        writes = (await ats.get("/_sim/writes", params={"kind": "candidate"})).json()
        duplicates = (await ats.get("/_sim/duplicates")).json()

        assert [w["status"] for w in writes] == [201, 200]
        assert [(d["external_id"], d["operation"]) for d in duplicates] == [("e:1", "create_candidate")]

    async def test_seed_over_http_can_announce(self, ats: httpx.AsyncClient, receiver: Receiver) -> None:
        summary = (
            await ats.post(
                "/_sim/seed",
                json={
                    "seed": 3,
                    "users": 1,
                    "jobs": 1,
                    "candidates": 2,
                    "notes": 0,
                    "interviews": 0,
                    "announce": True,
                },
            )
        ).json()
        await ats.post("/_sim/webhooks/flush")

        assert summary["announced"] > 4
        assert len(receiver.requests) == summary["announced"]
