"""`python -m bench [all|<name>]`: results in bench/results/<name>.json; exit 1 on a missed target.

BENCH_RESULTS=DIR writes the result files there instead (a short run should not replace the real figures).
"""

from __future__ import annotations

import asyncio
import json
import os
import sys
from collections.abc import Callable, Coroutine
from datetime import UTC, datetime
from typing import Any

from . import claims, in_ats, ingest, initial_sync, pull, push
from .common import ROOT, commit, results_dir

BENCHMARKS: dict[str, Callable[[], Coroutine[Any, Any, tuple[dict[str, Any], bool]]]] = {
    "push": push.run,
    "ingest": ingest.run,
    "initial_sync": initial_sync.run,
    "in_ats": in_ats.run,
    "pull": pull.run,
    "claims": claims.run,
}


def main() -> int:
    wanted = sys.argv[1] if len(sys.argv) > 1 else "all"
    names = list(BENCHMARKS) if wanted == "all" else [wanted]
    unknown = [name for name in names if name not in BENCHMARKS]
    if unknown:
        print(f"unknown benchmark {unknown[0]!r}; one of: all, {', '.join(BENCHMARKS)}", file=sys.stderr)
        return 2
    passed = True
    for name in names:
        measured_at = commit()
        results, ok = asyncio.run(BENCHMARKS[name]())
        document = {
            "commit": measured_at,
            "cores": os.cpu_count(),
            "ran_at": datetime.now(UTC).isoformat(timespec="seconds"),
            **results,
        }
        folder = results_dir()
        folder.mkdir(parents=True, exist_ok=True)
        path = folder / f"{name}.json"
        path.write_text(json.dumps(document, indent=2) + "\n")
        shown = path.relative_to(ROOT) if path.is_relative_to(ROOT) else path
        print(f"{name}: {'PASS' if ok else 'FAIL'}, results in {shown}")
        passed &= ok
    return 0 if passed else 1


if __name__ == "__main__":
    sys.exit(main())
