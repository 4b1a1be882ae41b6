"""What an idle drain pass costs the database (it runs several times a second on every replica), and the
gauge that tells an operator it still goes round."""

from __future__ import annotations

from prometheus_client import REGISTRY

from rsc_service import bootstrap
from rsc_service.context import AppContext
from rsc_service.outbox.dispatcher import DispatchSettings
from rsc_service.outbox.jobs import DrainHealth
from tests import observe


async def test_an_idle_pass_reads_the_held_tenants_once(ctx: AppContext) -> None:
    dispatcher = bootstrap.build(ctx, dispatch=DispatchSettings(concurrency=1)).dispatcher
    with observe.statements(ctx.engine) as statements:
        counts = await dispatcher.drain_once()  # the first pass looks for due tasks and due rows

    assert counts.claimed == 0
    # Paused and not-yet-sending tenants, read once for the whole pass (the claims read the tenants' ids
    # for their own searches, not this).
    held = [s for s in statements if "FROM tenants" in s and "sending_paused_until" in s]
    assert len(held) == 1, held


def test_the_drain_age_gauge_moves_without_anyone_asking_readyz() -> None:
    clock = [100.0]
    health = DrainHealth(stalled_after=60, monotonic=lambda: clock[0])
    clock[0] = 105.0
    assert REGISTRY.get_sample_value("rsc_outbox_drain_seconds_since_cycle") == 5.0  # since it started
    health.beat()
    clock[0] = 147.0

    assert REGISTRY.get_sample_value("rsc_outbox_drain_seconds_since_cycle") == 42.0
