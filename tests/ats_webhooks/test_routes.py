"""POST /v1/webhooks/ats/{tenant_key}: verified, stored once, version-guarded, and owed to LinkedIn."""

from __future__ import annotations

import json
from datetime import timedelta

import httpx
import respx
from sqlalchemy import func, select

from rsc_service.ats_webhooks.models import AtsWebhookEvent
from rsc_service.context import AppContext
from rsc_service.mirror.models import AtsRecord
from rsc_service.outbox.models import OutboxMessage
from rsc_service.tenants.models import Stage, Tenant
from tests.factories import Ats, application, candidate, job, note, tombstone


async def _count(ctx: AppContext, model: type) -> int:
    async with ctx.sessionmaker() as session:
        return int(await session.scalar(select(func.count()).select_from(model)) or 0)


async def _mirror(ctx: AppContext, kind: str, ats_id: str) -> AtsRecord:
    async with ctx.sessionmaker() as session:
        return (
            await session.scalars(select(AtsRecord).where(AtsRecord.kind == kind, AtsRecord.ats_id == ats_id))
        ).one()


async def _outbox(ctx: AppContext) -> dict[tuple[str, str], OutboxMessage]:
    async with ctx.sessionmaker() as session:
        return {(m.resource, m.key): m for m in (await session.scalars(select(OutboxMessage))).all()}


def _problem(response: httpx.Response, status: int) -> dict[str, object]:
    assert response.status_code == status, response.text
    assert response.headers["content-type"] == "application/problem+json"
    return dict(response.json())


class TestAcceptedEvents:
    async def test_a_new_candidate_is_stored_and_owed_to_linkedin(self, ats: Ats, ctx: AppContext) -> None:
        response = await ats.send("candidate.created", candidate())

        assert response.status_code == 202
        assert response.json()["status"] == "accepted"
        record = await _mirror(ctx, "candidate", "cand_1")
        assert (record.version, record.deleted, record.data["first_name"]) == (1, False, "Ada")
        outbox = await _outbox(ctx)
        owed = [m for (resource, key), m in outbox.items() if key == "cand_1" and resource == "atsCandidates"]
        assert len(owed) == 1
        assert owed[0].state == "pending" and owed[0].op == "upsert" and owed[0].revision == 1
        assert owed[0].payload is not None
        assert await _count(ctx, AtsWebhookEvent) == 1

    async def test_a_duplicate_delivery_is_a_2xx_no_op(self, ats: Ats, ctx: AppContext) -> None:
        event = ats.event("candidate.created", candidate())
        first = await ats.post(event)
        before = await _outbox(ctx)
        again = await ats.post(event)

        assert first.status_code == again.status_code == 202
        assert again.json()["status"] == "duplicate"
        assert await _count(ctx, AtsWebhookEvent) == 1
        after = await _outbox(ctx)
        assert {k: m.revision for k, m in after.items()} == {k: m.revision for k, m in before.items()}

    async def test_an_update_is_a_new_revision_of_the_same_row(self, ats: Ats, ctx: AppContext) -> None:
        await ats.send("candidate.created", candidate())
        await ats.send("candidate.updated", candidate(version=2, current_title="Principal Engineer"))

        assert (await _mirror(ctx, "candidate", "cand_1")).data["current_title"] == "Principal Engineer"
        row = (await _outbox(ctx))[("atsCandidates", "cand_1")]
        assert row.revision == 2
        assert row.source_version == 2

    async def test_every_kind_of_record_is_accepted(self, ats: Ats, ctx: AppContext) -> None:
        for event_type, data in [
            ("job.created", job()),
            ("candidate.created", candidate()),
            ("application.created", application()),
            ("application.stage_changed", application(version=2, stage="Onsite")),
            ("note.created", note()),
        ]:
            response = await ats.send(event_type, data)
            assert response.status_code == 202, (event_type, response.text)

        resources = {resource for resource, _ in await _outbox(ctx)}
        assert {"simpleJobPostings", "atsCandidates", "atsApplications"} <= resources
        assert (await _mirror(ctx, "application", "app_1")).data["stage"] == "Onsite"


class TestVersionGuard:
    async def test_an_older_version_never_overwrites_a_newer_one(self, ats: Ats, ctx: AppContext) -> None:
        await ats.send("candidate.updated", candidate(version=3, current_title="Newest"))
        late = await ats.send("candidate.updated", candidate(version=2, current_title="Older"))

        assert late.status_code == 202
        assert (await _mirror(ctx, "candidate", "cand_1")).data["current_title"] == "Newest"
        row = (await _outbox(ctx))[("atsCandidates", "cand_1")]
        assert row.revision == 1
        async with ctx.sessionmaker() as session:
            applied = (
                await session.scalars(select(AtsWebhookEvent.applied).order_by(AtsWebhookEvent.id))
            ).all()
        assert applied == [True, False]

    async def test_a_late_update_cannot_undo_a_delete(self, ats: Ats, ctx: AppContext) -> None:
        await ats.send("candidate.created", candidate())
        await ats.send("candidate.deleted", tombstone("candidate", "cand_1", 3))
        await ats.send("candidate.updated", candidate(version=2))

        record = await _mirror(ctx, "candidate", "cand_1")
        assert record.deleted and record.version == 3
        assert (await _outbox(ctx))[("atsCandidates", "cand_1")].op == "delete"

    async def test_an_application_of_a_job_only_ever_seen_deleted_is_a_dead_letter_naming_the_field(
        self, ats: Ats, ctx: AppContext
    ) -> None:
        assert (await ats.send("job.deleted", tombstone("job", "job_1", 2))).status_code == 202
        await ats.send("candidate.created", candidate())

        response = await ats.send("application.created", application())

        assert response.status_code == 202  # stored; LinkedIn would refuse it, so it is not sent
        row = (await _outbox(ctx))[("atsApplications", "app_1")]
        assert (row.state, row.payload) == ("dead", None)
        assert row.last_error is not None
        assert "atsApplications app_1" in row.last_error and "/atsJobPostingName" in row.last_error

    async def test_an_application_before_its_job_waits_with_nothing_to_send_until_the_job_arrives(
        self, ats: Ats, ctx: AppContext
    ) -> None:
        await ats.send("candidate.created", candidate())
        await ats.send("application.created", application())
        waiting = (await _outbox(ctx))[("atsApplications", "app_1")]
        waiting_state = (waiting.state, waiting.payload, waiting.last_error)

        await ats.send("job.created", job())

        built = (await _outbox(ctx))[("atsApplications", "app_1")]
        assert waiting_state == ("pending", None, None)
        assert built.state == "pending" and built.payload is not None
        assert built.payload["atsJobPostingName"] == "Backend Engineer"

    async def test_a_delete_wins_over_an_update_of_the_same_version(self, ats: Ats, ctx: AppContext) -> None:
        await ats.send("candidate.updated", candidate(version=4))
        await ats.send("candidate.deleted", tombstone("candidate", "cand_1", 4))

        assert (await _mirror(ctx, "candidate", "cand_1")).deleted

    async def test_deleting_a_candidate_deletes_its_children_first(self, ats: Ats, ctx: AppContext) -> None:
        await ats.send("job.created", job())
        await ats.send("candidate.created", candidate())
        await ats.send("application.created", application())
        await ats.send("note.created", note())

        await ats.send("candidate.deleted", tombstone("candidate", "cand_1", 2))

        assert (await _mirror(ctx, "application", "app_1")).deleted
        assert (await _mirror(ctx, "note", "note_1")).deleted
        outbox = await _outbox(ctx)
        parent = outbox[("atsCandidates", "cand_1")]
        children = [m for m in outbox.values() if m.op == "delete" and m.key in {"app_1", "note_1"}]
        assert len(children) >= 2
        assert {f"{m.resource}:{m.key}" for m in children} <= set(parent.depends_on)
        assert outbox[("simpleJobPostings", "job_1")].op == "upsert"  # a candidate's delete leaves jobs alone

    async def test_a_deleted_job_is_closed_not_deleted(self, ats: Ats, ctx: AppContext) -> None:
        await ats.send("job.created", job())
        await ats.send("job.deleted", tombstone("job", "job_1", 2))

        assert (await _outbox(ctx))[("simpleJobPostings", "job_1")].op == "close"


class TestRejectedDeliveries:
    async def test_unknown_tenant_is_404_and_nothing_is_stored(self, ats: Ats, ctx: AppContext) -> None:
        ats.tenant_key = "tn_unknown"
        _problem(await ats.send("candidate.created", candidate()), 404)
        assert await _count(ctx, AtsWebhookEvent) == 0

    async def test_bad_signature_is_401(self, ats: Ats, ctx: AppContext) -> None:
        other = "whsec_" + "QUJDREVGR0hJSktMTU5PUFFSU1RVVldYWVo="
        body = _problem(await ats.post(ats.event("candidate.created", candidate()), secret=other), 401)
        assert "no matching signature" in str(body["detail"])
        assert await _count(ctx, AtsWebhookEvent) == 0
        assert await _count(ctx, AtsRecord) == 0

    async def test_missing_signature_header_is_401(self, ats: Ats) -> None:
        event = ats.event("candidate.created", candidate())
        response = await ats.client.post(f"/v1/webhooks/ats/{ats.tenant_key}", json=event)
        assert "missing header" in str(_problem(response, 401)["detail"])

    async def test_a_timestamp_past_the_tolerance_is_401(self, ats: Ats) -> None:
        event = ats.event("candidate.created", candidate())
        response = await ats.post(event, at=ats.clock() - timedelta(minutes=6))
        assert "tolerance" in str(_problem(response, 401)["detail"])

    async def test_a_tampered_body_is_401(self, ats: Ats) -> None:
        event = ats.event("candidate.created", candidate())
        signed_for = json.dumps(event).encode()
        from rsc_service.integrations.ats import signatures

        headers = signatures.sign(signed_for, ats.secret, event["id"], ats.clock())
        tampered = signed_for.replace(b"Ada", b"Eve")
        response = await ats.client.post(
            f"/v1/webhooks/ats/{ats.tenant_key}",
            content=tampered,
            headers={"content-type": "application/json", **headers},
        )
        _problem(response, 401)

    async def test_malformed_json_is_400(self, ats: Ats, ctx: AppContext) -> None:
        _problem(await ats.post({"id": "evt_bad"}, body=b"{not json"), 400)
        assert await _count(ctx, AtsWebhookEvent) == 0

    async def test_a_schema_violation_is_422_naming_the_field(self, ats: Ats, ctx: AppContext) -> None:
        broken = candidate(version=0)
        del broken["last_name"]
        body = _problem(await ats.send("candidate.created", broken), 422)
        fields = {item["field"] for item in body["errors"]}  # type: ignore[attr-defined]
        assert any(field.endswith("last_name") for field in fields)
        assert any(field.endswith("version") for field in fields)
        assert await _count(ctx, AtsRecord) == 0

    async def test_event_id_must_match_the_signed_webhook_id(self, ats: Ats) -> None:
        event = ats.event("candidate.created", candidate())
        raw = json.dumps(event).encode()
        from rsc_service.integrations.ats import signatures

        headers = signatures.sign(raw, ats.secret, "evt_other", ats.clock())
        response = await ats.client.post(
            f"/v1/webhooks/ats/{ats.tenant_key}",
            content=raw,
            headers={"content-type": "application/json", **headers},
        )
        assert _problem(response, 422)["errors"][0]["field"] == "body.id"  # type: ignore[index]

    async def test_an_oversized_body_is_413(self, ats: Ats, ctx: AppContext) -> None:
        huge = candidate(current_title="x" * (ctx.settings.server.max_body_bytes + 10))
        _problem(await ats.send("candidate.created", huge), 413)

    async def test_a_deactivated_tenant_is_410(self, ats: Ats, ctx: AppContext) -> None:
        async with ctx.sessionmaker.begin() as session:
            tenant = (await session.scalars(select(Tenant).where(Tenant.key == ats.tenant_key))).one()
            tenant.stage = Stage.DEACTIVATED
        _problem(await ats.send("candidate.created", candidate()), 410)


class TestRequestPath:
    async def test_no_outbound_http_happens_while_receiving(self, ats: Ats, ctx: AppContext) -> None:
        with respx.mock(assert_all_called=False) as router:  # any real outbound request would fail here
            for event_type, data in [("job.created", job()), ("candidate.created", candidate())]:
                assert (await ats.send(event_type, data)).status_code == 202
        assert router.calls.call_count == 0

    async def test_a_rotated_out_secret_still_verifies_during_the_grace_period(
        self, ats: Ats, ctx: AppContext
    ) -> None:
        from rsc_service.tenants import service as tenant_service

        async with ctx.sessionmaker.begin() as session:
            tenant = await tenant_service.get_by_key(session, ats.tenant_key)
            new, _ = await tenant_service.rotate_webhook_secret(
                session, tenant, cipher=ctx.cipher, now=ats.clock(), grace=timedelta(hours=1)
            )
        old_ok = await ats.post(ats.event("candidate.created", candidate()))
        new_ok = await ats.post(ats.event("candidate.updated", candidate(version=2)), secret=new)
        ats.clock.advance(hours=2)
        old_late = await ats.post(ats.event("candidate.updated", candidate(version=3)))

        assert old_ok.status_code == new_ok.status_code == 202
        assert old_late.status_code == 401

    async def test_webhooks_arriving_together_after_a_rotation_elsewhere_all_verify(
        self, ats: Ats, ctx: AppContext
    ) -> None:
        """A secret revoked from another replica or the CLI: the ATS's next deliveries, signed with the new
        secret, arrive together at a replica that kept the old ones. Only the first verified; the others were
        answered 401 while the first's fresh read of the secrets ran, and the ATS had to retry them."""
        import asyncio

        from rsc_service.tenants import service as tenant_service

        assert (await ats.send("candidate.created", candidate())).status_code == 202  # the secrets are kept
        async with ctx.sessionmaker.begin() as session:
            tenant = await tenant_service.get_by_key(session, ats.tenant_key)
            new, _ = await tenant_service.rotate_webhook_secret(
                session, tenant, cipher=ctx.cipher, now=ats.clock(), grace=timedelta(0)
            )

        answers = await asyncio.gather(
            *(
                ats.post(ats.event("candidate.updated", candidate(f"cand_{n}", version=2)), secret=new)
                for n in range(5)
            )
        )

        assert [a.status_code for a in answers] == [202] * 5, [a.text for a in answers]
        # A forged signature among them is still refused.
        forged = await ats.post(
            ats.event("candidate.updated", candidate("cand_x", version=3)), secret="whsec_" + "Zm9yZ2Vk" * 4
        )
        assert forged.status_code == 401
