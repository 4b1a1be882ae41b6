"""The CPU figures beside the ingest benchmark's rates: a process's own counters, and PostgreSQL's server
processes summed, each growing by the work done between two readings."""

from __future__ import annotations

import os
import time

import asyncpg
from bench import common
from bench.rig import PG_ADMIN_URL, _pg_dsn


def test_a_process_cpu_time_grows_by_the_work_it_does() -> None:
    before = common.cpu_seconds(os.getpid())
    started = time.process_time()
    while time.process_time() - started < 0.3:
        sum(range(10_000))

    assert common.cpu_seconds(os.getpid()) - before >= 0.2  # counted in 10 ms ticks


async def test_postgresql_cpu_time_counts_what_its_server_spends_on_a_query() -> None:
    connection = await asyncpg.connect(_pg_dsn(PG_ADMIN_URL), timeout=10)
    try:
        await connection.execute("SET max_parallel_workers_per_gather = 0")  # one process does it all
        before = common.postgres_cpu_seconds()
        mine = common.cpu_seconds(os.getpid())
        await connection.fetchval("SELECT count(*) FROM generate_series(1, 5000000)")  # about 0.5 s of CPU
        spent = common.postgres_cpu_seconds() - before
        waited = common.cpu_seconds(os.getpid()) - mine
    finally:
        await connection.close()

    # The server computed while this process only waited.
    assert spent >= 0.2
    assert waited < 0.1
