"""The real `rsc-service` command: migrate, migrate --check, openapi, serve, and readable settings errors."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Awaitable, Callable
from pathlib import Path

import httpx

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

    def test_a_settings_error_never_shows_the_database_password(self) -> None:
        env = processes.env_for("postgres://svc:hunter2@db.internal/rsc", RSC_DATABASE__POOL_SIZE="0")
        result = processes.run(["migrate"], env)

        assert result.returncode == 2
        assert "RSC_DATABASE__POOL_SIZE" in result.stderr
        assert "postgres://svc:***@db.internal/rsc" in result.stderr
        assert "hunter2" not in result.stdout + result.stderr

    def test_a_database_that_cannot_be_reached_is_not_named_with_its_password(self) -> None:
        env = processes.env_for(f"postgresql+asyncpg://svc:hunter2@127.0.0.1:{processes.free_port()}/rsc")
        for args in (["migrate"], ["migrate", "--check"], ["tenant", "list"]):
            result = processes.run(args, env)
            # Its own exit status (not 1, which `migrate --check` gives a database behind head), a sentence
            # an operator can act on, and no traceback.
            assert result.returncode == 3, (args, result.stderr)
            assert "the database cannot be reached" in result.stderr
            assert "Traceback" not in result.stderr
            assert "hunter2" not in result.stdout + result.stderr

    async def test_a_database_not_migrated_yet_says_to_run_migrate_without_a_traceback(
        self, fresh_database: FreshDatabase
    ) -> None:
        # The database answers, its tables are missing: not "cannot be reached" (SQLite's no such table is an
        # OperationalError), nor a traceback (PostgreSQL's UndefinedTable).
        env = processes.env_for(await fresh_database(False))
        for args in (["tenant", "list"], ["tenant", "show", "tn_0123456789abcdef"]):
            result = processes.run(args, env)

            # As `migrate --check` exits for a database behind head.
            assert result.returncode == 1, (args, result.stderr)
            assert "the database schema is not at head" in result.stderr, (args, result.stderr[-2000:])
            assert "run `rsc-service migrate`" in result.stderr, (args, result.stderr[-2000:])
            assert "Traceback" not in result.stderr, (args, result.stderr[-2000:])
            assert "cannot be reached" not in result.stderr, (args, result.stderr[-2000:])

    def test_a_crash_shows_no_variables_of_its_frames(self) -> None:
        from rsc_service.cli import app

        # Typer's rich tracebacks print every frame's locals by default: records, emails, secrets.
        assert app.pretty_exceptions_show_locals is False


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

    async def test_the_collector_leaves_requests_alone(
        self, fresh_database: FreshDatabase, tmp_path: Path
    ) -> None:
        """`serve` collects the youngest generation after 50,000 new objects, not Python's 700: requests
        answered side by side hold thousands alive between them, and at 700 the collector ran on nearly every
        one (docs/architecture.md#14-ingest). Its count is the process's own, from /metrics."""
        url = await fresh_database(True)
        port = processes.free_port()
        env = processes.env_for(url, RSC_ADMIN__METRICS_TOKEN="metrics-token")
        server = processes.start(["serve", "--port", str(port), "--no-jobs"], env, tmp_path / "serve.log")
        base = f"http://127.0.0.1:{port}"
        scraper = {"Authorization": "Bearer metrics-token"}
        try:
            processes.wait_for(f"{base}/readyz")
            async with httpx.AsyncClient(base_url=base, timeout=30) as client:
                before = _young_collections((await client.get("/metrics", headers=scraper)).text)
                for _ in range(20):
                    answers = await asyncio.gather(*(client.get("/openapi.json") for _ in range(16)))
                    assert {answer.status_code for answer in answers} == {200}
                after = _young_collections((await client.get("/metrics", headers=scraper)).text)
        finally:
            processes.stop(server)

        assert after - before <= 2, (before, after)


class TestTenantCommands:
    async def test_create_prints_one_json_object_then_show_and_rotate(
        self, fresh_database: FreshDatabase
    ) -> None:
        from tests.conftest import ENCRYPTION_KEY

        env = processes.tenant_env(await fresh_database(True), ENCRYPTION_KEY)
        data = processes.create_tenant(env, "--contract", "urn:li:contract:2002")
        assert data["tenant_key"].startswith("tn_")
        assert data["api_key"].startswith("rsc_")
        assert data["webhook_secret"].startswith("whsec_")
        assert data["contracts"] == ["urn:li:contract:2001", "urn:li:contract:2002"]

        shown = processes.run(["tenant", "show", data["tenant_key"], "--json"], env)
        rotated = processes.run(["tenant", "rotate-secret", data["tenant_key"], "--json"], env)
        listed = processes.run(["tenant", "list"], env)
        assert json.loads(shown.stdout)["name"] == "Acme"
        assert data["api_key"] not in shown.stdout and data["webhook_secret"] not in shown.stdout
        assert json.loads(rotated.stdout)["webhook_secret"] != data["webhook_secret"]
        assert data["tenant_key"] in listed.stdout

        deleted = processes.run(["tenant", "delete", data["tenant_key"], "--yes"], env)
        missing = processes.run(["tenant", "show", data["tenant_key"]], env)
        assert deleted.returncode == 0
        assert missing.returncode == 1
        assert "no tenant" in missing.stderr

    async def test_a_tenant_set_up_from_scratch_moves_one_audited_step_at_a_time(
        self, fresh_database: FreshDatabase
    ) -> None:
        from tests.conftest import ENCRYPTION_KEY

        env = processes.env_for(
            await fresh_database(True),
            RSC_SECURITY__ENCRYPTION_KEYS=f'["{ENCRYPTION_KEY}"]',
            RSC_ALLOW_INSECURE_LOCAL="true",
        )
        created = processes.run(
            [
                "tenant",
                "create",
                "--json",
                "--name",
                "Acme",
                "--ats-url",
                "http://127.0.0.1:8200",
                "--ats-token",
                "t",
            ],
            env,
        )
        assert created.returncode == 0, created.stderr
        key = json.loads(created.stdout)["tenant_key"]
        assert json.loads(created.stdout)["stage"] == "requested"

        waiting = processes.run(["tenant", "list", "--stage", "requested"], env)
        moved = processes.run(["tenant", "advance", key, "--to", "partner_ready", "--reason", "by hand"], env)
        skipped = processes.run(["tenant", "advance", key, "--to", "active", "--reason", "skip"], env)
        trail = processes.run(["tenant", "stages", key, "--json"], env)

        assert key in waiting.stdout
        assert moved.returncode == 0 and moved.stdout.strip() == "partner_ready", moved.stderr
        assert skipped.returncode == 1 and "cannot move to 'active'" in skipped.stderr
        rows = [json.loads(line) for line in trail.stdout.splitlines()]
        assert [(r["from_stage"], r["to_stage"], r["actor"], r["reason"]) for r in rows] == [
            (None, "requested", "operator", "registered for onboarding"),
            ("requested", "partner_ready", "operator", "by hand"),
        ]

    def test_an_unknown_stage_names_the_option_typed(self) -> None:
        env = processes.env_for("sqlite+aiosqlite:////tmp/unused.db")
        advance = processes.run(
            ["tenant", "advance", "tn_0123456789abcdef", "--to", "bogus", "--reason", "r"], env
        )
        listed = processes.run(["tenant", "list", "--stage", "bogus"], env)

        # `tenant advance` has no --stage option: its stage is --to.
        assert advance.returncode == 2, advance.stderr
        assert advance.stderr.startswith("--to: one of requested,"), advance.stderr
        assert listed.returncode == 2, listed.stderr
        assert listed.stderr.startswith("--stage: one of requested,"), listed.stderr

    def test_part_of_a_child_app_is_refused(self) -> None:
        result = processes.run(
            [
                "tenant",
                "create",
                "--name",
                "A",
                "--ats-url",
                "http://x",
                "--ats-token",
                "t",
                "--client-id",
                "c",
            ],
            processes.env_for("sqlite+aiosqlite:////tmp/unused.db"),
        )
        assert result.returncode == 2
        assert "every linkedin_* field" in result.stderr

    def test_create_names_invalid_options(self) -> None:
        result = processes.run(
            [
                "tenant", "create", "--name", "Acme", "--ats-url", "http://x", "--ats-token", "t",
                "--organization", "acme", "--contract", "urn:li:contract:1", "--client-id", "c",
                "--client-secret", "s", "--app-urn", "urn:li:developerApplication:1",
                "--unique-foreign-id", "u",
            ],
            processes.env_for("sqlite+aiosqlite:///unused.db"),
        )  # fmt: skip
        assert result.returncode == 2
        assert "--organization: String should match pattern" in result.stderr

    def test_an_empty_secret_is_named(self) -> None:
        result = processes.run(
            ["tenant", "create", "--name", "Acme", "--ats-url", "http://x", "--ats-token", ""],
            processes.env_for("sqlite+aiosqlite:///unused.db"),
        )
        assert result.returncode == 2
        assert "--ats-token:" in result.stderr

    def test_every_option_has_help(self) -> None:
        result = processes.run(
            ["tenant", "create", "--help"], processes.env_for("sqlite+aiosqlite:///unused.db")
        )
        for option in ("--contract", "--unique-foreign-id", "--json", "--client-secret"):
            assert option in result.stdout


async def _read_every_secret(url: str, key: str) -> list[str]:
    """Every stored secret decrypted with `key` alone: each tenant's ATS token and client secret, and every
    webhook secret row (expired ones too)."""
    from sqlalchemy import select

    from rsc_service.context import open_context
    from rsc_service.tenants import service as tenant_service
    from rsc_service.tenants.models import TenantWebhookSecret
    from tests.conftest import make_settings

    async with open_context(make_settings(url, security={"encryption_keys": [key]})) as ctx:
        async with ctx.sessionmaker() as session:
            read: list[str] = []
            for tenant in await tenant_service.list_all(session):
                read += [
                    tenant_service.ats_token(tenant, cipher=ctx.cipher),
                    tenant_service.linkedin_client_secret(tenant, cipher=ctx.cipher),
                ]
                rows = await session.scalars(
                    select(TenantWebhookSecret.secret_enc).where(TenantWebhookSecret.tenant_id == tenant.id)
                )
                read += [
                    ctx.cipher.decrypt(token, tenant_id=str(tenant.id), column="webhook_secret")
                    for token in rows
                ]
            return read


async def _valid_webhook_secrets(url: str, key: str) -> list[str]:
    from datetime import UTC, datetime

    from rsc_service.context import open_context
    from rsc_service.tenants import service as tenant_service
    from tests.conftest import make_settings

    async with open_context(make_settings(url, security={"encryption_keys": [key]})) as ctx:
        async with ctx.sessionmaker() as session:
            (tenant,) = await tenant_service.list_all(session)
            keys = await tenant_service.signing_keys(
                session, tenant, cipher=ctx.cipher, now=datetime.now(UTC)
            )
    return [secret for secret, _ in keys]


class TestKeyCommands:
    async def test_rotate_keys_then_the_old_key_can_be_removed(self, fresh_database: FreshDatabase) -> None:
        from cryptography.fernet import Fernet

        old, new = Fernet.generate_key().decode(), Fernet.generate_key().decode()
        url = await fresh_database(True)
        data = processes.create_tenant(processes.tenant_env(url, old))
        second = processes.run(
            ["tenant", "rotate-secret", data["tenant_key"], "--json"], processes.tenant_env(url, old)
        )
        assert second.returncode == 0, second.stderr
        both = processes.tenant_env(url, new, old)

        rotated = processes.run(["rotate-keys", "--json", "--batch-size", "1"], both)
        again = processes.run(["rotate-keys"], both)

        assert rotated.returncode == 0, rotated.stderr
        report = json.loads(rotated.stdout)
        assert (report["rotated"], report["already_current"], report["unreadable"]) == (5, 0, 0)
        assert report["columns"]["webhook_secret"]["rotated"] == 2
        assert report["columns"]["ats_token"]["rotated"] == 1
        assert report["columns"]["in_ats_credential"]["rotated"] == 1
        assert again.returncode == 0, again.stderr
        assert "0 secrets re-encrypted under the newest key, 5 already were" in again.stderr
        read = await _read_every_secret(url, new)
        assert sorted(read) == sorted(
            [
                "t0k3n",
                "sim-customer-secret",
                data["webhook_secret"],
                json.loads(second.stdout)["webhook_secret"],
            ]
        )

    async def test_a_secret_no_configured_key_opens_fails_the_run(
        self, fresh_database: FreshDatabase
    ) -> None:
        from cryptography.fernet import Fernet

        url = await fresh_database(True)
        processes.create_tenant(processes.tenant_env(url, Fernet.generate_key().decode()))

        result = processes.run(["rotate-keys"], processes.tenant_env(url, Fernet.generate_key().decode()))

        assert result.returncode == 1
        assert "cannot read tn_" in result.stderr
        assert "Traceback" not in result.stderr

    async def test_rotate_secret_revoke_ends_the_old_secrets_at_once(
        self, fresh_database: FreshDatabase
    ) -> None:
        from tests.conftest import ENCRYPTION_KEY

        url = await fresh_database(True)
        env = processes.tenant_env(url, ENCRYPTION_KEY)
        data = processes.create_tenant(env)
        graceful = processes.run(["tenant", "rotate-secret", data["tenant_key"], "--json"], env)
        assert await _valid_webhook_secrets(url, ENCRYPTION_KEY) == [
            json.loads(graceful.stdout)["webhook_secret"],
            data["webhook_secret"],
        ]

        revoked = processes.run(["tenant", "rotate-secret", data["tenant_key"], "--revoke", "--json"], env)

        assert revoked.returncode == 0, revoked.stderr
        assert await _valid_webhook_secrets(url, ENCRYPTION_KEY) == [
            json.loads(revoked.stdout)["webhook_secret"]
        ]

    async def test_rotate_api_key_prints_the_new_key_once_and_the_old_one_opens_nothing(
        self, fresh_database: FreshDatabase
    ) -> None:
        from tests.conftest import ENCRYPTION_KEY

        url = await fresh_database(True)
        env = processes.tenant_env(url, ENCRYPTION_KEY)
        data = processes.create_tenant(env)

        rotated = processes.run(["tenant", "rotate-api-key", data["tenant_key"], "--json"], env)
        shown = processes.run(["tenant", "show", data["tenant_key"], "--json"], env)
        missing = processes.run(["tenant", "rotate-api-key", "tn_nope"], env)

        assert rotated.returncode == 0, rotated.stderr
        new = json.loads(rotated.stdout)["api_key"]
        assert new.startswith("rsc_") and new != data["api_key"]
        assert json.loads(shown.stdout)["api_key_prefix"] == new[:10]
        assert new not in shown.stdout
        assert await _tenant_keys_opening(url, ENCRYPTION_KEY, data["api_key"], new) == [
            None,
            data["tenant_key"],
        ]
        assert missing.returncode == 1 and "no tenant" in missing.stderr


async def _tenant_keys_opening(url: str, key: str, *api_keys: str) -> list[str | None]:
    """For each API key, the tenant whose ATS-facing API it opens (looked up as tenants.deps does)."""
    from rsc_service.context import open_context
    from rsc_service.crypto import hash_api_key
    from rsc_service.tenants import repository
    from tests.conftest import make_settings

    async with open_context(make_settings(url, security={"encryption_keys": [key]})) as ctx:
        async with ctx.sessionmaker() as session:
            found = [await repository.find_by_api_key_hash(session, hash_api_key(k)) for k in api_keys]
    return [tenant.key if tenant else None for tenant in found]


class TestOutboxCommands:
    async def test_replay_and_reconcile_name_what_is_wrong(self, fresh_database: FreshDatabase) -> None:
        from tests.conftest import ENCRYPTION_KEY

        env = processes.env_for(
            await fresh_database(True), RSC_SECURITY__ENCRYPTION_KEYS=f'["{ENCRYPTION_KEY}"]'
        )

        neither = processes.run(["replay", "--tenant", "tn_x"], env)
        unknown = processes.run(["replay", "--tenant", "tn_nope", "--all"], env)
        reconcile = processes.run(["reconcile", "--tenant", "tn_nope"], env)
        everyone = processes.run(["reconcile"], env)

        assert neither.returncode == 2 and "--id" in neither.stderr
        assert unknown.returncode == 1 and "no tenant" in unknown.stderr
        assert reconcile.returncode == 1 and "no tenant" in reconcile.stderr
        assert everyone.returncode == 0, everyone.stderr  # no tenants yet: nothing to do, no error


def _young_collections(metrics: str) -> float:
    """How often the served process collected its youngest generation (prometheus_client's own gauge)."""
    for line in metrics.splitlines():
        if line.startswith('python_gc_collections_total{generation="0"}'):
            return float(line.split()[-1])
    raise AssertionError("no collection count in /metrics")
