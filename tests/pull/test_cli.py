"""`rsc-service pull-now`: the run's report as JSON on stdout; exit 75 while another run holds the lease."""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta

from sqlalchemy import select

from rsc_service.db.leases import JobLease, JobRun
from rsc_service.db.session import create_engine, create_sessionmaker
from tests import processes
from tests.conftest import make_settings

FreshDatabase = Callable[[bool], Awaitable[str]]


class TestPullNowCommand:
    async def test_runs_once_then_refuses_while_the_lease_is_held(
        self, fresh_database: FreshDatabase
    ) -> None:
        url = await fresh_database(True)
        environment = processes.env_for(url)

        done = processes.run(["pull-now"], environment)

        assert done.returncode == 0, done.stderr
        assert json.loads(done.stdout) == {"written": 0, "tenants": []}
        engine = create_engine(make_settings(url).database)
        try:
            async with create_sessionmaker(engine).begin() as session:
                runs = (await session.scalars(select(JobRun).where(JobRun.name == "pull"))).all()
                assert [(r.outcome, r.epoch) for r in runs] == [("succeeded", 1)]
                lease = await session.get(JobLease, "pull")
                assert lease is not None
                lease.holder = "another-replica"
                lease.expires_at = datetime.now(UTC) + timedelta(minutes=5)

            refused = processes.run(["pull-now"], environment)

            assert refused.returncode == 75, refused.stderr
            assert refused.stdout == ""
            async with create_sessionmaker(engine)() as session:
                assert len((await session.scalars(select(JobRun).where(JobRun.name == "pull"))).all()) == 1
        finally:
            await engine.dispose()

    async def test_a_tenant_key_that_names_no_tenant_exits_1(self, fresh_database: FreshDatabase) -> None:
        # A mistyped key must not look like a tenant pulled with nothing to write.
        environment = processes.env_for(await fresh_database(True))

        result = processes.run(["pull-now", "--tenant", "tn_0000000000000000"], environment)

        assert result.returncode == 1, (result.stdout, result.stderr)
        assert result.stdout == ""
