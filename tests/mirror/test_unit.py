"""MirrorUnit: a batch's records and the records under them are read together, and answered from memory."""

from __future__ import annotations

import uuid
from typing import Any

from rsc_service.context import AppContext
from rsc_service.mirror import service as mirror_service
from rsc_service.mirror.changes import Change
from rsc_service.mirror.models import AtsRecord
from rsc_service.mirror.unit import MirrorUnit, NewRecord
from tests.factories import make_tenant
from tests.observe import reads, statements


def _fields(tenant_id: uuid.UUID, kind: str, ats_id: str, ctx: AppContext, **parents: str) -> dict[str, Any]:
    """A record's columns, for a stored AtsRecord or for this run's NewRecord alike."""
    now = ctx.clock()
    return {
        "tenant_id": tenant_id,
        "kind": kind,
        "ats_id": ats_id,
        "version": 1,
        "deleted": False,
        "candidate_id": parents.get("candidate_id"),
        "job_id": parents.get("job_id"),
        "application_id": parents.get("application_id"),
        "data": {"id": ats_id, **parents},
        "occurred_at": now,
        "updated_at": now,
    }


def _record(tenant_id: uuid.UUID, kind: str, ats_id: str, ctx: AppContext, **parents: str) -> AtsRecord:
    return AtsRecord(**_fields(tenant_id, kind, ats_id, ctx, **parents))


class TestLoad:
    async def test_records_by_id_and_the_records_under_them_come_in_one_statement(
        self, ctx: AppContext
    ) -> None:
        async with ctx.sessionmaker.begin() as session:
            tenant = (await make_tenant(session, ctx)).tenant
            other = (await make_tenant(session, ctx)).tenant
            session.add_all(
                [
                    _record(tenant.id, "candidate", "cand_1", ctx),
                    _record(tenant.id, "job", "cand_2", ctx),  # another kind with a wanted id: not wanted
                    _record(tenant.id, "application", "app_1", ctx, candidate_id="cand_1", job_id="job_1"),
                    _record(tenant.id, "application", "app_2", ctx, candidate_id="cand_2", job_id="job_1"),
                    _record(tenant.id, "application", "app_3", ctx, candidate_id="cand_3", job_id="job_1"),
                    _record(other.id, "candidate", "cand_2", ctx),  # another tenant's
                ]
            )

        async with ctx.sessionmaker.begin() as session:
            unit = MirrorUnit(session)
            with statements(ctx.engine, reads("ats_records")) as read:
                await unit.load(
                    tenant.id,
                    [("candidate", "cand_1"), ("candidate", "cand_2"), ("user", "u_1")],
                    {"candidate_id": ["cand_1", "cand_2"], "job_id": []},
                )
                loaded = len(read)
                first = await unit.find(tenant.id, "candidate", "cand_1")
                absent = await unit.find(tenant.id, "candidate", "cand_2")
                user = await unit.find(tenant.id, "user", "u_1")
                under = {c: await unit.related(tenant.id, "candidate_id", c) for c in ("cand_1", "cand_2")}
                answered_from_memory = len(read) == loaded

        assert loaded == 1
        assert answered_from_memory
        assert first is not None and first.kind == "candidate"
        assert absent is None and user is None
        assert {c: [r.ats_id for r in found] for c, found in under.items()} == {
            "cand_1": ["app_1"],
            "cand_2": ["app_2"],
        }
        # What was read is what was asked for: not the job that shares an id, not cand_3's application.
        assert sorted(r.ats_id for r in unit.loaded(tenant.id)) == ["app_1", "app_2", "cand_1"]

    async def test_more_values_than_one_statement_takes_are_read_in_chunks(self, ctx: AppContext) -> None:
        async with ctx.sessionmaker.begin() as session:
            tenant = (await make_tenant(session, ctx)).tenant
            session.add_all(
                [
                    _record(tenant.id, "candidate", "cand_0000", ctx),
                    _record(tenant.id, "candidate", "cand_0399", ctx),
                    _record(tenant.id, "application", "app_1", ctx, candidate_id="cand_0399", job_id="job_1"),
                ]
            )
        ids = [f"cand_{n:04d}" for n in range(400)]  # with the 400 under them: twice what one statement takes

        async with ctx.sessionmaker.begin() as session:
            unit = MirrorUnit(session)
            with statements(ctx.engine, reads("ats_records")) as read:
                await unit.load(tenant.id, [("candidate", i) for i in ids], {"candidate_id": ids})
                loaded = len(read)
                found = [i for i in ids if await unit.find(tenant.id, "candidate", i) is not None]
                under = await unit.related(tenant.id, "candidate_id", "cand_0399")
                answered_from_memory = len(read) == loaded

        assert loaded == 2  # the ids, then the values under them
        assert answered_from_memory
        assert found == ["cand_0000", "cand_0399"]
        assert [r.ats_id for r in under] == ["app_1"]


class TestRelated:
    async def test_a_record_moved_to_another_parent_is_found_under_the_new_one_only(
        self, ctx: AppContext
    ) -> None:
        async with ctx.sessionmaker.begin() as session:
            tenant = (await make_tenant(session, ctx)).tenant
            # Inserted one after the other, so app_1 has the smaller id.
            for ats_id, candidate in (("app_1", "cand_A"), ("app_0", "cand_B")):
                parents = {"candidate_id": candidate, "job_id": "job_1"}
                session.add(_record(tenant.id, "application", ats_id, ctx, **parents))
                await session.flush()

        async with ctx.sessionmaker.begin() as session:
            unit = MirrorUnit(session)
            await unit.load(tenant.id, [("application", "app_1")], {"candidate_id": ["cand_A", "cand_B"]})
            moved = Change(
                kind="application",
                ats_id="app_1",
                version=2,
                deleted=False,
                data={"id": "app_1", "version": 2, "candidate_id": "cand_B", "job_id": "job_1"},
                occurred_at=ctx.clock(),
                candidate_id="cand_B",
                job_id="job_1",
            )
            with session.no_autoflush:  # as a batch runs: the unit answers what it changed
                stored = await mirror_service.store(unit, tenant.id, moved, now=ctx.clock())
                for ats_id in ("app_3", "app_2"):
                    parents = {"candidate_id": "cand_B", "job_id": "job_1"}
                    unit.add(NewRecord(**_fields(tenant.id, "application", ats_id, ctx, **parents)))
                under_a = [r.ats_id for r in await unit.related(tenant.id, "candidate_id", "cand_A")]
                under_b = [r.ats_id for r in await unit.related(tenant.id, "candidate_id", "cand_B")]
                under_job = [r.ats_id for r in await unit.related(tenant.id, "job_id", "job_1")]

        assert stored is not None and stored.record.ats_id == "app_1"
        assert under_a == []
        # Stored ones by id, then this run's new ones in the order they were created.
        assert under_b == ["app_1", "app_0", "app_3", "app_2"]
        assert under_job == ["app_1", "app_0", "app_3", "app_2"]
