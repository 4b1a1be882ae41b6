"""The real `rsc-service` command: migrate, migrate --check, openapi, serve, and readable settings errors."""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable
from pathlib import Path

from tests import processes

FreshDatabase = Callable[[bool], Awaitable[str]]


class TestMigrateCommand:
    async def test_check_fails_before_and_passes_after_migrate(self, fresh_database: FreshDatabase) -> None:
        env = processes.env_for(await fresh_database(False))

        before = processes.run(["migrate", "--check"], env)
        migrated = processes.run(["migrate"], env)
        after = processes.run(["migrate", "--check"], env)

        assert before.returncode == 1, before.stderr
        assert "run `rsc-service migrate`" in before.stderr
        assert migrated.returncode == 0, migrated.stderr
        assert after.returncode == 0, after.stderr

    def test_bad_settings_exit_2_with_the_variable_named(self) -> None:
        result = processes.run(["migrate", "--check"], processes.env_for("mysql://nope"))
        assert result.returncode == 2
        assert "RSC_DATABASE__URL" in result.stderr
        assert "Traceback" not in result.stderr


class TestOpenapiCommand:
    def test_writes_the_spec_and_detects_drift(self, tmp_path: Path) -> None:
        target = tmp_path / "spec.json"
        env = processes.env_for("sqlite+aiosqlite:///unused.db")

        written = processes.run(["openapi", "--output", str(target)], env)
        current = processes.run(["openapi", "--check", "--output", str(target)], env)
        target.write_text(target.read_text().replace('"title": "rsc-service"', '"title": "old"'))
        drifted = processes.run(["openapi", "--check", "--output", str(target)], env)

        assert written.returncode == 0, written.stderr
        assert (
            json.loads(target.read_text().replace('"old"', '"rsc-service"'))["info"]["title"] == "rsc-service"
        )
        assert current.returncode == 0
        assert drifted.returncode == 1
        assert "out of date" in drifted.stderr


class TestServeCommand:
    async def test_serves_ready_after_migrate(self, fresh_database: FreshDatabase, tmp_path: Path) -> None:
        url = await fresh_database(False)
        port = processes.free_port()
        env = processes.env_for(url)
        assert processes.run(["migrate"], env).returncode == 0
        server = processes.start(["serve", "--port", str(port), "--no-jobs"], env, tmp_path / "serve.log")
        try:
            ready = processes.wait_for(f"http://127.0.0.1:{port}/readyz")
            docs = processes.wait_for(f"http://127.0.0.1:{port}/docs")
        finally:
            processes.stop(server)

        assert ready.json()["database"] == ("postgresql" if url.startswith("postgresql") else "sqlite")
        assert "swagger" in docs.text.lower()
