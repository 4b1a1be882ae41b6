"""Where a webhook's time goes on its way to LinkedIn: per-webhook timestamps joined into stages.

The timestamps come from three places, all on this machine's wall clock: the sender (sent, answered), the
simulator (first write of the candidate), and the traced service (bench/tracing.py: the writer's commit,
the dispatcher's claim, throttle wait and settle). The database rows add what they keep (the inbox row's
`received_at`, the outbox row's `created_at` and `landed_at`), so a run without the trace still splits
the time into intake and dispatch.

Stages, in order, each from the end of the one before (they add up to the latency):
  request        sent → the writer is handed the verified event (HTTP, body read, signature, parse)
  writer_wait    → the writer's transaction begins (an earlier commit, the writer's turn on the connection)
  writer_commit  → committed (the inbox, mirror and outbox statements and the commit)
  until_claim    → the dispatcher's claim begins (wake-up, the batch fill wait, the drain before it)
  claim          → claimed
  until_send     → the batch asks the throttle (waiting for a send slot, the tenant's app)
  throttle       → the throttle lets it go (its database transaction, or a wait for budget)
  linkedin       → the simulator stored it (token, HTTP, the simulator's own work)
After the figure: `answered` (committed → the sender has its 202) and `settle` (stored → settled).
"""

from __future__ import annotations

import json
import math
from collections import defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

CHAIN = (
    ("request", "commit_called"),
    ("writer_wait", "txn_begun"),
    ("writer_commit", "committed"),
    ("until_claim", "claim_start"),
    ("claim", "claim_end"),
    ("until_send", "throttle_start"),
    ("throttle", "throttle_end"),
    ("linkedin", "landed"),
)
# Without the trace: what the rows and the sender say.
ROW_CHAIN = (
    ("request", "received"),  # the inbox row's received_at: the request reached the route
    ("until_commit", "writer_now"),  # the outbox row's created_at: the writer's transaction began
    ("commit_and_answer", "answered"),
    ("dispatch", "landed"),
)


@dataclass
class Trace:
    """The traced service's notes, by kind, in time order."""

    missing_hooks: list[str] = field(default_factory=list)
    notes: list[tuple[float, str, list[str], dict[str, Any]]] = field(default_factory=list)

    @classmethod
    def read(cls, path: Path | None) -> Trace | None:
        if path is None or not path.exists():
            return None
        lines = path.read_text().splitlines()
        if not lines:
            return None
        head = json.loads(lines[0])
        notes = [
            (float(at), str(kind), list(keys), dict(details))
            for at, kind, keys, details in (json.loads(line) for line in lines[1:])
        ]
        return cls(head.get("missing_hooks", []), notes)


def _percentiles(values: Sequence[float]) -> dict[str, float | None]:
    if not values:
        return {"p50": None, "p90": None, "p99": None, "max": None}
    ordered = sorted(values)

    def rank(share: float) -> float:
        return round(ordered[max(0, math.ceil(share * len(ordered)) - 1)], 1)

    return {"p50": rank(0.5), "p90": rank(0.9), "p99": rank(0.99), "max": round(ordered[-1], 1)}


def _moments(trace: Trace) -> dict[str, dict[str, float]]:
    """Per record id, when each traced step happened: the first time it was handed to the writer, and for
    the later steps the last time before it was stored (a row sent again was claimed again)."""
    at: dict[str, dict[str, float]] = defaultdict(dict)
    claim_started = 0.0
    for when, kind, keys, _ in trace.notes:
        if kind == "claim_start":
            claim_started = when
            continue
        for key in keys:
            moments = at[key]
            if kind == "commit_called":
                moments.setdefault(kind, when)
            elif kind == "claim_end":
                moments["claim_start"], moments["claim_end"] = claim_started, when
            elif kind in {"txn_begun", "committed", "throttle_start", "throttle_end", "settle_end"}:
                moments[kind] = when
    return at


def _chain(moments: Mapping[str, float], chain: Sequence[tuple[str, str]]) -> dict[str, float] | None:
    """Stage durations (ms) along `chain` from `sent`, or None when a step is missing."""
    stages: dict[str, float] = {}
    previous = moments.get("sent")
    for stage, step in chain:
        now = moments.get(step)
        if previous is None or now is None:
            return None
        stages[stage] = (now - previous) * 1000
        previous = now
    return stages


def _spans(trace: Trace, start: str, end: str, by: str, since: float) -> list[dict[str, Any]]:
    """Paired start/end notes (matched by `by` in their details) as {by, start_s, ms}."""
    opened: dict[str, float] = {}
    spans = []
    for when, kind, _, details in trace.notes:
        name = str(details.get(by, ""))
        if kind == start:
            opened[name] = when
        elif kind == end and name in opened:
            began = opened.pop(name)
            spans.append(
                {by: name, "start_s": round(began - since, 2), "ms": round((when - began) * 1000, 1)}
            )
    # Still running when the service stopped: no duration.
    spans += [{by: name, "start_s": round(began - since, 2), "ms": None} for name, began in opened.items()]
    return sorted(spans, key=lambda span: span["start_s"])


def breakdown(
    sends: Mapping[str, tuple[float, float]],
    landed_ms: Mapping[str, int],
    rows: Mapping[str, Mapping[str, float]],
    trace: Trace | None,
    *,
    slowest: int = 10,
) -> dict[str, Any]:
    """The per-stage figures of a latency run.

    `sends`: record id → (sent, answered) in epoch seconds; `landed_ms`: record id → the simulator's first
    write (epoch ms); `rows`: record id → {"received", "writer_now", "settled"} from the database.
    """
    first = min((sent for sent, _ in sends.values()), default=0.0)
    traced = _moments(trace) if trace is not None else {}
    per_key: dict[str, dict[str, Any]] = {}
    for key, (sent, answered) in sends.items():
        if key not in landed_ms:
            continue
        moments = {"sent": sent, "answered": answered, "landed": landed_ms[key] / 1000}
        moments |= rows.get(key, {})
        moments |= traced.get(key, {})
        stages = _chain(moments, CHAIN) if trace is not None else None
        row_stages = _chain(moments, ROW_CHAIN)
        entry: dict[str, Any] = {
            "key": key,
            "sent_s": round(sent - first, 2),
            "latency_ms": round((moments["landed"] - sent) * 1000, 1),
        }
        if stages is not None:
            entry |= {name: round(value, 1) for name, value in stages.items()}
        elif row_stages is not None:
            entry |= {name: round(value, 1) for name, value in row_stages.items()}
        if "committed" in moments:
            entry["answered"] = round((answered - moments["committed"]) * 1000, 1)
        settled = moments.get("settle_end", moments.get("settled"))
        if settled is not None:
            entry["settle"] = round((settled - moments["landed"]) * 1000, 1)
        per_key[key] = entry
    names = [name for name, _ in (CHAIN if trace is not None else ROW_CHAIN)] + ["answered", "settle"]
    entries = sorted(per_key.values(), key=lambda item: item["latency_ms"])
    slow = entries[-slowest:] if entries else []
    dominant: dict[str, int] = defaultdict(int)
    chain_names = [name for name, _ in (CHAIN if trace is not None else ROW_CHAIN)]
    for item in slow:
        present = [name for name in chain_names if name in item]
        if present:
            dominant[max(present, key=lambda name: item[name])] += 1
    result: dict[str, Any] = {
        "source": "trace" if trace is not None else "rows",
        "webhooks": len(entries),
        "stages_ms": {
            name: _percentiles([item[name] for item in entries if name in item])
            for name in names
            if any(name in item for item in entries)
        },
        "slowest": {
            "count": len(slow),
            "latency_ms_from": slow[0]["latency_ms"] if slow else None,
            "mean_ms_by_stage": {
                name: round(sum(item.get(name, 0.0) for item in slow) / len(slow), 1)
                for name in chain_names
                if slow and any(name in item for item in slow)
            },
            "largest_stage": dict(dominant),
            "webhooks": slow[::-1],
        },
    }
    if trace is not None:
        result["missing_hooks"] = trace.missing_hooks
        result["service"] = _service_activity(trace, first)
        result["slowest"]["during_jobs"] = _overlaps(slow, result["service"]["jobs"])
    return result


def _overlaps(slow: Sequence[Mapping[str, Any]], jobs: Sequence[Mapping[str, Any]]) -> dict[str, int]:
    """Per job, how many of the slowest webhooks were under way (sent, not yet stored) while it ran."""
    counts: dict[str, int] = defaultdict(int)
    for job in jobs:
        began = job["start_s"]
        ended = began + job["ms"] / 1000 if job["ms"] is not None else math.inf
        for item in slow:
            if began < item["sent_s"] + item["latency_ms"] / 1000 and ended > item["sent_s"]:
                counts[job["job"]] += 1
    return dict(counts)


def _service_activity(trace: Trace, first: float) -> dict[str, Any]:
    """What else the service did during the run: jobs, drains, claims, throttle waits, connection holds."""
    notes = [note for note in trace.notes if note[0] >= first]
    jobs = _spans(Trace(notes=notes), "job_start", "job_end", "job", first)
    claims = []
    started = None
    for when, kind, keys, _ in notes:
        if kind == "claim_start":
            started = when
        elif kind == "claim_end" and started is not None:
            claims.append(((when - started) * 1000, len(keys)))
    throttles: dict[tuple[str, ...], float] = {}
    waits = []
    for when, kind, keys, _ in notes:
        if kind == "throttle_start":
            throttles[tuple(keys)] = when
        elif kind == "throttle_end" and tuple(keys) in throttles:
            waits.append((when - throttles.pop(tuple(keys))) * 1000)
    holds: list[dict[str, Any]] = []
    held: dict[object, tuple[float, str]] = {}
    for when, kind, _, details in notes:
        if kind == "connection_out":
            held[details.get("conn")] = (when, str(details.get("by")))
        elif kind == "connection_in" and details.get("conn") in held:
            began, holder = held.pop(details.get("conn"))
            holds.append(
                {"by": holder, "start_s": round(began - first, 2), "ms": round((when - began) * 1000, 1)}
            )
    by_holder: dict[str, list[float]] = defaultdict(list)
    for hold in holds:
        by_holder[hold["by"]].append(hold["ms"])
    seconds = max((note[0] for note in notes), default=first) - first
    return {
        # Connection-seconds held per second of the run, connections summed (SQLite has one: its busy share).
        "connection_busy": round(sum(hold["ms"] for hold in holds) / 1000 / seconds, 3) if seconds else None,
        "jobs": jobs,
        "claims": {
            "count": len(claims),
            "ms": _percentiles([ms for ms, _ in claims]),
            "rows": _percentiles([float(rows) for _, rows in claims]),
        },
        "throttle_ms": _percentiles(waits),
        "connection_held_ms": {
            holder: {"count": len(values), **_percentiles(values), "total_s": round(sum(values) / 1000, 2)}
            for holder, values in sorted(by_holder.items())
        },
        "longest_connection_holds": sorted(holds, key=lambda hold: hold["ms"])[-10:][::-1],
    }
