"""The Dockerfile stays buildable: every file it copies exists, it runs as non-root and checks /healthz."""

from __future__ import annotations

import re

from tests.processes import ROOT

DOCKERFILE = (ROOT / "Dockerfile").read_text()


class TestDockerfile:
    def test_every_copied_source_exists(self) -> None:
        sources = [
            src
            for line in DOCKERFILE.splitlines()
            if line.startswith("COPY ") and "--from=" not in line
            for src in line.split()[1:-1]
        ]
        assert sources
        missing = [src for src in sources if not (ROOT / src).exists()]
        assert missing == []

    def test_runs_migrate_then_serve_as_a_non_root_user(self) -> None:
        entrypoint = (ROOT / "docker/entrypoint.sh").read_text()
        assert entrypoint.index("rsc-service migrate") < entrypoint.index("rsc-service serve")
        assert re.search(r"^USER rsc$", DOCKERFILE, re.MULTILINE)
        assert "/healthz" in DOCKERFILE.split("HEALTHCHECK", 1)[1]
        assert DOCKERFILE.count("FROM ") >= 2
