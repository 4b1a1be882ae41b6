"""What every benchmark shares: settings from the environment, the commit a result names, rounds' spread,
targets, and the CPU time of a process."""

from __future__ import annotations

import os
import statistics
import subprocess
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
# The files whose change changes a figure: a result names the commit, `-dirty` when any of them differ from
# it (new files too); the results themselves do not count.
MEASURED_PATHS = ("bench", "src", "constraints.txt", ":(exclude)bench/results")


def env_int(name: str, default: int) -> int:
    return int(os.environ.get(name, default))


def env_float(name: str, default: float) -> float:
    return float(os.environ.get(name, default))


def env_list(name: str, default: str) -> list[str]:
    return [item.strip() for item in os.environ.get(name, default).split(",") if item.strip()]


def databases() -> list[str]:
    """BENCH_DATABASES: which databases to run on (sqlite, postgresql)."""
    return env_list("BENCH_DATABASES", "sqlite,postgresql")


def results_dir() -> Path:
    """BENCH_RESULTS=DIR writes results there instead of bench/results (short runs keep the real ones)."""
    return Path(os.environ.get("BENCH_RESULTS") or ROOT / "bench" / "results")


def _git(*args: str) -> str:
    done = subprocess.run(["git", *args], cwd=ROOT, capture_output=True, text=True, check=False)
    return done.stdout.strip()


def commit() -> str:
    """HEAD, with `-dirty` when the benchmarks, the service or the pinned dependencies differ from it."""
    head = _git("rev-parse", "HEAD") or "unknown"
    changed = _git("status", "--porcelain", "--", *MEASURED_PATHS)
    return head + ("-dirty" if changed else "")


def spread(values: Sequence[float], digits: int = 1) -> dict[str, Any]:
    """A figure measured in several rounds: the median, the range, and each round's value."""
    if not values:
        return {"median": None, "min": None, "max": None, "rounds": []}
    return {
        "median": round(statistics.median(values), digits),
        "min": round(min(values), digits),
        "max": round(max(values), digits),
        "rounds": [round(value, digits) for value in values],
    }


def ratio(numerator: float | None, denominator: float | None) -> float | None:
    if numerator is None or not denominator:
        return None
    return round(numerator / denominator, 3)


Check = tuple[str, bool]


def report(checks: Iterable[Check]) -> tuple[list[dict[str, Any]], bool]:
    """Print each target with PASS/FAIL; (the targets as a result records them, whether all passed)."""
    recorded = []
    for label, ok in checks:
        print(f"  {'PASS' if ok else 'FAIL'}  {label}", flush=True)
        recorded.append({"target": label, "pass": ok})
    return recorded, all(item["pass"] for item in recorded)


def at_least(name: str, value: float | None, floor: float) -> Check:
    return f"{name} {value} >= {floor}", value is not None and value >= floor


def below(name: str, value: float | None, ceiling: float, unit: str = "") -> Check:
    return f"{name} {value}{unit} < {ceiling}{unit}", value is not None and value < ceiling


def equals(name: str, value: object, wanted: object) -> Check:
    return f"{name} {value} == {wanted}", value == wanted


def cpu_seconds(pid: int) -> float:
    """User plus system CPU time a live process has used so far (the counters getrusage reports for the
    calling process; /proc gives them for another one, on Linux)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    # After the command name: state is field 3, utime and stime are fields 14 and 15 (proc(5)).
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def postgres_cpu_seconds() -> float:
    """CPU time used so far by every PostgreSQL server process on this machine (its backends and its
    background writers alike), summed: what a run cost the database, taken as a difference."""
    total = 0.0
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            if (entry / "comm").read_text().strip() == "postgres":
                total += cpu_seconds(int(entry.name))
        except (OSError, ValueError):  # the process ended while it was read
            continue
    return total
