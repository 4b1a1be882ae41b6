"""`python -m bench.tracing ARGS...` runs `rsc-service ARGS...` with timing hooks, for the latency breakdown.

The hooks wrap a few of the service's methods at start-up (nothing in src/ changes) and note, with the wall
clock and the ATS record ids concerned: the writer's commits (called, transaction begun, committed), the
dispatcher's wake-ups, drains, claims, sends, throttle waits and settles, every scheduled job's run, and
who held a database connection when. At exit the notes go to BENCH_TRACE_FILE as JSON lines
`[epoch_seconds, kind, [record ids], {details}]`. A hook whose method is gone (the service moved on) is
skipped and named in the file's first line, so the breakdown says what it could not see.
"""

from __future__ import annotations

import atexit
import contextvars
import functools
import json
import os
import signal
import time
from collections.abc import Callable, Sequence
from typing import Any

Note = tuple[float, str, Sequence[str], dict[str, Any]]
NOTES: list[Note] = []
MISSING: list[str] = []
# What the current task is doing, for the connection notes; and the record ids of the batch being sent.
_LABEL: contextvars.ContextVar[str] = contextvars.ContextVar("bench_label", default="other")
_BATCH: contextvars.ContextVar[Sequence[str]] = contextvars.ContextVar("bench_batch", default=())


def note(kind: str, keys: Sequence[str] = (), **details: Any) -> None:
    NOTES.append((time.time(), kind, keys, details))


def _keys_of(rows: object) -> list[str]:
    return [str(row.key) for row in rows if hasattr(row, "key")] if isinstance(rows, list | tuple) else []


def _delivery_keys(deliveries: Sequence[Any]) -> list[str]:
    keys = []
    for delivery in deliveries:
        data = getattr(getattr(delivery, "event", None), "data", None)
        keys.append(str(getattr(data, "id", "")))
    return keys


def _wrap(owner: Any, name: str, make: Callable[[Callable[..., Any]], Callable[..., Any]]) -> None:
    original = getattr(owner, name, None)
    if original is None:
        MISSING.append(f"{getattr(owner, '__name__', owner)}.{name}")
        return
    setattr(owner, name, functools.wraps(original)(make(original)))


def _install() -> None:
    from rsc_service import context, scheduler
    from rsc_service.ats_webhooks import intake
    from rsc_service.ats_webhooks import service as webhook_service
    from rsc_service.outbox import dispatcher, wake
    from rsc_service.throttle import service as throttle

    def commit(original: Callable[..., Any]) -> Callable[..., Any]:
        async def hooked(self: Any, deliveries: Sequence[Any], *args: Any, **kwargs: Any) -> Any:
            keys = _delivery_keys(deliveries)
            token = _LABEL.set("writer")
            note("commit_called", keys)
            try:
                result = await original(self, deliveries, *args, **kwargs)
            except BaseException:
                note("commit_failed", keys)
                raise
            finally:
                _LABEL.reset(token)
            note("committed", keys)
            return result

        return hooked

    def receive_all(original: Callable[..., Any]) -> Callable[..., Any]:
        async def hooked(session: Any, deliveries: Sequence[Any], *args: Any, **kwargs: Any) -> Any:
            keys = _delivery_keys(deliveries)
            note("txn_begun", keys)
            result = await original(session, deliveries, *args, **kwargs)
            note("txn_written", keys)
            return result

        return hooked

    def after_commit(original: Callable[..., Any]) -> Callable[..., Any]:
        def hooked(self: Any, session: Any) -> Any:
            was = self.event.is_set()
            result = original(self, session)
            if self.event.is_set() and not was:
                note("wake")
            return result

        return hooked

    def timed(kind: str, label: str, keys: Callable[..., Sequence[str]] | None = None) -> Any:
        """Notes `kind_start` and `kind_end` around a coroutine method, with the record ids `keys` names."""

        def make(original: Callable[..., Any]) -> Callable[..., Any]:
            async def hooked(*args: Any, **kwargs: Any) -> Any:
                try:
                    ids = keys(*args, **kwargs) if keys else ()
                except (TypeError, ValueError, AttributeError):  # the method's arguments changed shape
                    ids = ()
                token = _LABEL.set(label)
                batch = _BATCH.set(ids) if kind == "send" else None
                note(f"{kind}_start", ids)
                try:
                    result = await original(*args, **kwargs)
                finally:
                    _LABEL.reset(token)
                    if batch is not None:
                        _BATCH.reset(batch)
                if kind == "claim":
                    ids = _keys_of(result[0] if isinstance(result, tuple) else result)
                elif kind == "drain":
                    ids = ()
                    note("drain_end", (), claimed=getattr(result, "claimed", None))
                    return result
                note(f"{kind}_end", ids)
                return result

            return hooked

        return make

    def throttled(original: Callable[..., Any]) -> Callable[..., Any]:
        async def hooked(self: Any, group: str, records: int, *args: Any, **kwargs: Any) -> Any:
            ids = _BATCH.get()
            token = _LABEL.set("throttle")
            note("throttle_start", ids, group=str(group), records=records)
            try:
                return await original(self, group, records, *args, **kwargs)
            except Exception as error:  # the budget is spent for longer than a send may wait
                note("throttle_refused", ids, retry_after=getattr(error, "retry_after", None))
                raise
            finally:
                _LABEL.reset(token)
                note("throttle_end", ids)

        return hooked

    def job(original: Callable[..., Any]) -> Callable[..., Any]:
        async def hooked(service: Any, job: Any, *args: Any, **kwargs: Any) -> Any:
            name = str(getattr(job, "name", job))
            token = _LABEL.set(f"job:{name}")
            note("job_start", (), job=name)
            try:
                return await original(service, job, *args, **kwargs)
            finally:
                _LABEL.reset(token)
                note("job_end", (), job=name)

        return hooked

    def engine(original: Callable[..., Any]) -> Callable[..., Any]:
        def hooked(*args: Any, **kwargs: Any) -> Any:
            from sqlalchemy import event

            made = original(*args, **kwargs)
            pool = made.sync_engine.pool
            # A connection is known by its pool record, so holds of a pool of several pair up.
            event.listen(
                pool,
                "checkout",
                lambda _c, record, _p: note("connection_out", (), by=_LABEL.get(), conn=id(record)),
            )
            event.listen(pool, "checkin", lambda _c, record: note("connection_in", (), conn=id(record)))
            return made

        return hooked

    _wrap(intake.GroupWriter, "_commit", commit)
    _wrap(webhook_service, "receive_all", receive_all)
    _wrap(intake.SigningKeys, "_read", timed("keys", "keys"))
    _wrap(wake.Wake, "_after_commit", after_commit)
    _wrap(dispatcher.Dispatcher, "drain_once", timed("drain", "drain"))
    _wrap(dispatcher.Dispatcher, "_claim", timed("claim", "claim"))
    _wrap(
        dispatcher.Dispatcher,
        "_send_items",
        # The items are the last argument, whatever comes before them (the tenant's app, the batch).
        timed("send", "send", lambda *args: [k for k, _ in args[-1]]),
    )
    _wrap(dispatcher.Dispatcher, "_settle", timed("settle", "settle", lambda _s, batch, *_: _keys_of(batch)))
    _wrap(throttle.DatabaseThrottle, "acquire", throttled)
    _wrap(scheduler, "run_per_replica", job)
    _wrap(scheduler, "run_singleton", job)
    _wrap(context, "create_engine", engine)


def _dump() -> None:
    path = os.environ.pop("BENCH_TRACE_FILE", None)  # once, whichever way the process ends
    if not path:
        return
    with open(path, "w") as out:
        out.write(json.dumps({"missing_hooks": MISSING}) + "\n")
        for at, kind, keys, details in NOTES:
            out.write(json.dumps([round(at, 6), kind, list(keys), details]) + "\n")


def _stopped(signum: int, _frame: object) -> None:
    _dump()
    raise SystemExit(128 + signum)


def main() -> None:
    _install()
    atexit.register(_dump)
    # uvicorn shuts down gracefully on SIGTERM, then raises the signal again under the handler it found at
    # start, which ends the process without running atexit: this handler writes the notes first.
    signal.signal(signal.SIGTERM, _stopped)
    from rsc_service.cli import main as cli

    cli()


if __name__ == "__main__":
    main()
