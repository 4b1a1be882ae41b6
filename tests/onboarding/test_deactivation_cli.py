"""`rsc-service tenant deactivate`: the real command, on a fresh database, showing progress to the end."""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable

from tests import processes
from tests.conftest import ENCRYPTION_KEY

FreshDatabase = Callable[[bool], Awaitable[str]]


class TestDeactivateCommand:
    async def test_keeping_linkedins_copy_purges_ours_and_shows_the_progress(
        self, fresh_database: FreshDatabase
    ) -> None:
        env = processes.tenant_env(await fresh_database(True), ENCRYPTION_KEY)
        key = processes.create_tenant(env)["tenant_key"]

        result = processes.run(
            ["tenant", "deactivate", "--tenant", key, "--keep-linkedin-data", "--reason", "left", "--json"],
            env,
        )
        again = processes.run(["tenant", "deactivate", "--tenant", key, "--json"], env)
        shown = processes.run(["tenant", "show", key, "--json"], env)

        assert result.returncode == 0, result.stderr
        lines = [json.loads(line) for line in result.stdout.splitlines()]
        assert [line["state"] for line in lines] == ["purging", "finished"]
        assert lines[-1]["mode"] == "keep" and lines[-1]["stage"] == "deactivated"
        assert [k["kind"] for k in lines[-1]["kinds"]] == ["local_data"]
        assert again.returncode == 1
        assert "already deactivated (mode keep)" in again.stderr
        tenant = json.loads(shown.stdout)
        assert (tenant["stage"], tenant["linkedin_client_id"], tenant["contracts"]) == (
            "deactivated",
            None,
            [],
        )

    async def test_advance_cannot_move_a_running_deactivation_back_to_requested(
        self, fresh_database: FreshDatabase
    ) -> None:
        """Else the job stops: LinkedIn's callback URL is never removed and nothing is purged."""
        env = processes.tenant_env(await fresh_database(True), ENCRYPTION_KEY)
        key = processes.create_tenant(env)["tenant_key"]
        # Delete mode, left to the job: LinkedIn's callback URL is still to be removed.
        started = processes.run(["tenant", "deactivate", "--tenant", key, "--no-wait", "--json"], env)
        assert started.returncode == 0, started.stderr

        advanced = processes.run(["tenant", "advance", key, "--to", "requested", "--reason", "back"], env)
        shown = processes.run(["tenant", "show", key, "--json"], env)

        assert advanced.returncode == 1, advanced.stdout
        assert "still being deactivated" in advanced.stderr
        assert json.loads(shown.stdout)["stage"] == "deactivated"

    def test_the_options_have_help(self) -> None:
        result = processes.run(
            ["tenant", "deactivate", "--help"], processes.env_for("sqlite+aiosqlite:///unused.db")
        )
        for option in ("--tenant", "--keep-linkedin-data", "--no-wait", "--json", "--reason"):
            assert option in result.stdout
