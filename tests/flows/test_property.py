"""Random ATS histories, delivered out of order and twice, with crashes between claim, send and settle.

Whatever happens, once everything is delivered and drained, LinkedIn holds exactly what the ATS holds; no key
ever received an older version after a newer one, and no deleted record came back unless the ATS itself
re-created it (tests/flows/push_machine.py).
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable

import httpx
import pytest
from hypothesis import HealthCheck, settings
from hypothesis.stateful import run_state_machine_as_test

from rsc_service.app import create_app
from rsc_service.context import open_context
from tests.conftest import FrozenClock, make_settings
from tests.flows.push_machine import EXAMPLES, HARNESS, SEEN, Harness, PushMachine


async def _open(url: str, clock: FrozenClock, loop: asyncio.AbstractEventLoop) -> Harness:
    service_settings = make_settings(url)
    opened = open_context(service_settings, clock=clock)
    ctx = await opened.__aenter__()
    app = create_app(service_settings, context=ctx)
    http = httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://rsc.test")

    async def close() -> None:
        await http.aclose()
        await opened.__aexit__(None, None, None)

    return Harness(loop=loop, ctx=ctx, app=app, service_http=http, clock=clock, cleanups=[close])


class TestPushProperties:
    @pytest.mark.timeout(900)  # two hundred histories in CI, on a machine that may be busy
    def test_linkedin_converges_to_the_ats_in_order_without_resurrections(
        self, fresh_database: Callable[[bool], Awaitable[str]]
    ) -> None:
        loop = asyncio.new_event_loop()
        try:
            url = loop.run_until_complete(fresh_database(True))
            harness = loop.run_until_complete(_open(url, FrozenClock(), loop))
            HARNESS[:] = [harness]
            try:
                run_state_machine_as_test(
                    PushMachine,
                    settings=settings(
                        max_examples=EXAMPLES,
                        derandomize=True,  # the same histories every run: a case seen once is seen always
                        deadline=None,
                        stateful_step_count=30,
                        suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much],
                    ),
                )
                print(dict(SEEN))
                for case in (
                    "puts",
                    "deletes",
                    "out of order",
                    "duplicates",
                    "claims abandoned",
                    "sends abandoned",
                    "applications",
                ):
                    assert SEEN[case] > 0, (case, SEEN)
            finally:
                SEEN.clear()
                for cleanup in harness.cleanups:
                    loop.run_until_complete(cleanup())
                HARNESS.clear()
        finally:
            loop.close()
