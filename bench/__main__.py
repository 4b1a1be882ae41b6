"""`python -m bench [all|push|ingest]`: results in bench/results/<name>.json; exit 1 on a missed target."""

from __future__ import annotations

import asyncio
import json
import os
import subprocess
import sys
from collections.abc import Callable, Coroutine
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from . import ingest, push

RESULTS = Path(__file__).resolve().parent / "results"
BENCHMARKS: dict[str, Callable[[], Coroutine[Any, Any, tuple[dict[str, Any], bool]]]] = {
    "push": push.run,
    "ingest": ingest.run,
}


def commit() -> str:
    def git(*args: str) -> str:
        return subprocess.run(
            ["git", *args], cwd=RESULTS.parent.parent, capture_output=True, text=True, check=False
        ).stdout.strip()

    head = git("rev-parse", "HEAD") or "unknown"
    return head + ("-dirty" if git("status", "--porcelain", "--untracked-files=no", "src") else "")


def main() -> int:
    wanted = sys.argv[1] if len(sys.argv) > 1 else "all"
    names = list(BENCHMARKS) if wanted == "all" else [wanted]
    unknown = [name for name in names if name not in BENCHMARKS]
    if unknown:
        print(f"unknown benchmark {unknown[0]!r}; one of: all, {', '.join(BENCHMARKS)}", file=sys.stderr)
        return 2
    passed = True
    for name in names:
        results, ok = asyncio.run(BENCHMARKS[name]())
        document = {
            "commit": commit(),
            "cores": os.cpu_count(),
            "ran_at": datetime.now(UTC).isoformat(timespec="seconds"),
            **results,
        }
        RESULTS.mkdir(exist_ok=True)
        path = RESULTS / f"{name}.json"
        path.write_text(json.dumps(document, indent=2) + "\n")
        print(f"{name}: {'PASS' if ok else 'FAIL'}, results in {path.relative_to(RESULTS.parent.parent)}")
        passed &= ok
    return 0 if passed else 1


if __name__ == "__main__":
    sys.exit(main())
