"""Settings come from RSC_ env vars in nested groups; bad values give one readable line per problem."""

from __future__ import annotations

import json
from pathlib import Path

import httpx
import pytest
from pydantic import SecretStr

from rsc_service.settings import Environment, Settings, SettingsError, load_settings, safe_url
from tests import processes
from tests.conftest import ENCRYPTION_KEY, make_settings


class TestLoadSettings:
    def test_nested_groups_read_from_env(self, monkeypatch: pytest.MonkeyPatch) -> None:
        monkeypatch.setenv("RSC_DATABASE__URL", "postgresql+asyncpg://svc@db.internal/rsc")
        monkeypatch.setenv("RSC_SCHEDULER__INTERVALS", '{"heartbeat": 5}')
        monkeypatch.setenv("RSC_ALLOW_INSECURE_LOCAL", "true")
        monkeypatch.setenv("RSC_ENVIRONMENT", "production")
        monkeypatch.setenv("RSC_ADMIN__TOKEN", "s3cret-admin")

        settings = load_settings()

        assert settings.database.url == "postgresql+asyncpg://svc@db.internal/rsc"
        assert not settings.database.is_sqlite
        assert settings.scheduler.intervals == {"heartbeat": 5}
        assert settings.allow_insecure_local is True
        assert settings.environment is Environment.PRODUCTION
        assert settings.admin.token is not None
        assert settings.admin.token.get_secret_value() == "s3cret-admin"
        assert "s3cret-admin" not in repr(settings)

    def test_defaults_are_embedded_sqlite_and_no_linkedin_url(self, monkeypatch: pytest.MonkeyPatch) -> None:
        monkeypatch.delenv("RSC_DATABASE__URL", raising=False)
        settings = load_settings()
        assert settings.database.is_sqlite
        assert settings.linkedin.api_url is None

    def test_invalid_values_name_the_env_var_and_the_reason(self, monkeypatch: pytest.MonkeyPatch) -> None:
        monkeypatch.setenv("RSC_DATABASE__URL", "mysql://root@localhost/x")
        monkeypatch.setenv("RSC_SERVER__PORT", "99999")

        with pytest.raises(SettingsError) as raised:
            load_settings()

        message = str(raised.value)
        assert "RSC_DATABASE__URL: Value error, must start with sqlite+aiosqlite://" in message
        assert "RSC_SERVER__PORT: Input should be less than or equal to 65535" in message

    def test_secret_values_are_not_echoed_in_errors(self, monkeypatch: pytest.MonkeyPatch) -> None:
        monkeypatch.setenv("RSC_ADMIN__TOKEN", '{"not": "a string"}')
        with pytest.raises(SettingsError) as raised:
            load_settings(admin={"token": ["leaked-value"]})
        assert "RSC_ADMIN__TOKEN" in str(raised.value)
        assert "leaked-value" not in str(raised.value)

    def test_a_lease_shorter_than_two_sends_is_refused(self) -> None:
        with pytest.raises(SettingsError) as raised:
            load_settings(outbox={"lease_seconds": 10}, linkedin={"timeout_seconds": 30})
        assert "RSC_OUTBOX__LEASE_SECONDS (10.0) must be at least twice RSC_LINKEDIN__TIMEOUT_SECONDS" in str(
            raised.value
        )


class TestDatabasePasswords:
    def test_a_settings_error_masks_the_database_password(self, monkeypatch: pytest.MonkeyPatch) -> None:
        monkeypatch.setenv(
            "RSC_DATABASE__URL", "postgres://svc:hunter2@db.internal/rsc"
        )  # echoed: wrong driver
        monkeypatch.setenv("RSC_DATABASE__POOL_SIZE", "0")

        with pytest.raises(SettingsError) as raised:
            load_settings()

        message = str(raised.value)
        assert "RSC_DATABASE__POOL_SIZE: Input should be greater than or equal to 1" in message
        assert "(got 'postgres://svc:***@db.internal/rsc')" in message
        assert "hunter2" not in message

    @pytest.mark.parametrize(
        "database",
        [
            "postgresql+asyncpg://svc:hunter2@db/rsc",  # a whole group given as a string
            {"url": "mysql://svc:hunter2@db/rsc?password=hunter2"},
            {"url": 5432, "pool_size": "postgresql+asyncpg://svc:hunter2@db/rsc"},
            {"url": "postgresql+asyncpg:/svc:hunter2@db/rsc", "pool_size": 0},  # one slash short
            {"url": "mysql:///svc:hunter2@db/rsc", "pool_size": 0},  # one too many
            {"url": "postgresql+asyncpg:svc:hunter2@db/rsc", "pool_size": 0},  # none
        ],
    )
    def test_no_echoed_value_shows_a_password(self, database: object) -> None:
        with pytest.raises(SettingsError) as raised:
            load_settings(database=database)
        assert "RSC_DATABASE" in str(raised.value)
        assert "hunter2" not in str(raised.value)

    @pytest.mark.parametrize(
        ("url", "shown"),
        [
            ("postgresql+asyncpg://svc:hunter2@db:5432/rsc", "postgresql+asyncpg://svc:***@db:5432/rsc"),
            ("postgresql+asyncpg://svc:hun@ter2@db/rsc", "postgresql+asyncpg://svc:***@db/rsc"),
            (
                "postgresql+asyncpg://svc@db/rsc?password=hunter2",
                "postgresql+asyncpg://svc@db/rsc?password=***",
            ),
            ("postgresql+asyncpg://svc@db/rsc", "postgresql+asyncpg://svc@db/rsc"),
            ("sqlite+aiosqlite:///./rsc-service.db", "sqlite+aiosqlite:///./rsc-service.db"),
        ],
    )
    def test_safe_url_and_the_settings_repr_hide_the_password(self, url: str, shown: str) -> None:
        settings = load_settings(database={"url": url})
        assert settings.database.safe_url == shown
        assert safe_url(url) == shown
        assert "hunter2" not in repr(settings) and "ter2" not in repr(settings)
        assert settings.database.url == url  # the engine still gets the real one


class TestEmptySecrets:
    """An empty secret (`RSC_ADMIN__TOKEN=`, or a compose `${VAR}` left unset) is no secret: it reads as
    unset, so what it guards stays off."""

    def test_a_blank_secret_variable_is_unset(self, monkeypatch: pytest.MonkeyPatch) -> None:
        monkeypatch.setenv("RSC_ONBOARDING__PARTNER_CLIENT_SECRET", "")
        monkeypatch.setenv("RSC_ADMIN__TOKEN", "")
        monkeypatch.setenv("RSC_ADMIN__METRICS_TOKEN", "  ")
        monkeypatch.setenv("RSC_SECURITY__ENCRYPTION_KEYS", "")

        settings = load_settings()

        assert settings.onboarding.partner_client_secret is None
        assert settings.admin.token is None
        assert settings.admin.metrics_token is None
        assert settings.security.encryption_keys == []

    def test_a_blank_secret_given_in_code_is_unset(self) -> None:
        settings = load_settings(
            onboarding={"partner_client_secret": ""},
            admin={"token": SecretStr(""), "metrics_token": ""},
            security={"encryption_keys": [ENCRYPTION_KEY, ""]},
        )

        assert settings.onboarding.partner_client_secret is None
        assert settings.admin.token is None
        assert settings.admin.metrics_token is None
        assert [key.get_secret_value() for key in settings.security.encryption_keys] == [ENCRYPTION_KEY]


class TestEmptyAdminToken:
    @pytest.fixture
    def settings(self, database_url: str) -> Settings:
        return make_settings(database_url, admin={"token": ""})

    async def test_the_admin_api_stays_off(self, client: httpx.AsyncClient) -> None:
        # "Bearer " with nothing after it would otherwise match the empty token.
        answer = await client.get("/v1/admin/tenants", headers={"Authorization": "Bearer "})

        assert answer.status_code == 403, answer.text
        assert "RSC_ADMIN__TOKEN" in answer.json()["detail"]


def _keys() -> list[str]:
    return [key.get_secret_value() for key in load_settings().security.encryption_keys]


class TestEncryptionKeys:
    """RSC_SECURITY__ENCRYPTION_KEYS as documented: one key (as `keygen` prints it), a comma list, or a JSON
    list."""

    FIRST, SECOND = ENCRYPTION_KEY, "8mKq3kY1oZ2rRj7yC0aB5cD4eF6gH8iJ9kL0mN1oP2Q="

    @pytest.mark.parametrize(
        ("value", "keys"),
        [
            (FIRST, [FIRST]),
            (f"{FIRST},{SECOND}", [FIRST, SECOND]),
            (f" {FIRST} , {SECOND} ,", [FIRST, SECOND]),
            (json.dumps([FIRST, SECOND]), [FIRST, SECOND]),
            (f" {json.dumps([FIRST])}", [FIRST]),
        ],
    )
    def test_each_documented_form_is_read(
        self, monkeypatch: pytest.MonkeyPatch, value: str, keys: list[str]
    ) -> None:
        monkeypatch.setenv("RSC_SECURITY__ENCRYPTION_KEYS", value)

        assert _keys() == keys

    def test_a_broken_json_list_is_one_line_without_the_key(self, monkeypatch: pytest.MonkeyPatch) -> None:
        monkeypatch.setenv("RSC_SECURITY__ENCRYPTION_KEYS", f'["{self.FIRST}"')

        with pytest.raises(SettingsError) as raised:
            load_settings()

        assert "RSC_SECURITY__ENCRYPTION_KEYS: Value error, starts with [ but is not a JSON list" in str(
            raised.value
        )
        assert self.FIRST not in str(raised.value)

    def test_the_cli_reads_the_key_keygen_prints(self, tmp_path: Path) -> None:
        env = processes.env_for(f"sqlite+aiosqlite:///{tmp_path}/rsc.db")
        keygen = processes.run(["keygen"], env)
        key = keygen.stdout.strip()

        migrated = processes.run(["migrate"], env | {"RSC_SECURITY__ENCRYPTION_KEYS": key})
        listed = processes.run(["tenant", "list"], env | {"RSC_SECURITY__ENCRYPTION_KEYS": key})

        assert keygen.returncode == 0 and key, keygen.stderr
        assert migrated.returncode == 0, migrated.stderr[-600:]
        assert listed.returncode == 0, listed.stderr[-600:]
        assert "Traceback" not in listed.stderr


class TestUndecodableJson:
    """A value pydantic-settings reads as JSON (a whole group, a mapping) that is not JSON: one line naming
    the variable, exit 2, and never the value."""

    def test_load_settings_names_the_variable(self, monkeypatch: pytest.MonkeyPatch) -> None:
        monkeypatch.setenv("RSC_SCHEDULER__INTERVALS", "hunter2-not-json")
        monkeypatch.setenv("RSC_SCHEDULER__HOLDER", "replica-1")  # not JSON either, and not read as JSON

        with pytest.raises(SettingsError) as raised:
            load_settings()

        assert str(raised.value).splitlines() == [
            "invalid settings:",
            "  RSC_SCHEDULER__INTERVALS: not valid JSON, which a group, list or mapping is written in",
        ]

    def test_a_whole_group_that_is_not_json_is_named_without_its_value(
        self, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        monkeypatch.setenv("RSC_SECURITY", ENCRYPTION_KEY)  # meant RSC_SECURITY__ENCRYPTION_KEYS

        with pytest.raises(SettingsError) as raised:
            load_settings()

        assert "RSC_SECURITY: not valid JSON" in str(raised.value)
        assert ENCRYPTION_KEY not in str(raised.value)

    def test_the_cli_exits_2_with_one_line(self) -> None:
        env = processes.env_for("sqlite+aiosqlite:///unused.db", RSC_SCHEDULER__INTERVALS="hunter2-not-json")

        result = processes.run(["tenant", "list"], env)

        assert result.returncode == 2, result.stderr[-600:]
        assert "Traceback" not in result.stderr
        assert "RSC_SCHEDULER__INTERVALS: not valid JSON" in result.stderr
        assert "hunter2" not in result.stderr


class TestGroupsAreNotEchoed:
    """A group given whole in the wrong shape is refused under the group's own name, which looks like no
    secret; its value may hold one anywhere, so it is never shown."""

    @pytest.mark.parametrize("value", [json.dumps([ENCRYPTION_KEY]), json.dumps(ENCRYPTION_KEY)])
    def test_a_keys_group_in_the_wrong_shape_does_not_print_the_key(
        self, monkeypatch: pytest.MonkeyPatch, value: str
    ) -> None:
        monkeypatch.setenv("RSC_SECURITY", value)  # meant RSC_SECURITY__ENCRYPTION_KEYS

        with pytest.raises(SettingsError) as raised:
            load_settings()

        assert "RSC_SECURITY: " in str(raised.value)
        assert ENCRYPTION_KEY not in str(raised.value)

    def test_a_list_or_mapping_inside_a_group_is_not_shown(self) -> None:
        with pytest.raises(SettingsError) as raised:
            load_settings(admin={"token": "t"}, onboarding={"product_name": {"secret": "leaked-value"}})

        assert "RSC_ONBOARDING__PRODUCT_NAME: Input should be a valid string" in str(raised.value)
        assert "leaked-value" not in str(raised.value)

    def test_a_plain_value_is_still_shown(self, monkeypatch: pytest.MonkeyPatch) -> None:
        monkeypatch.setenv("RSC_ENVIRONMENT", "prod")

        with pytest.raises(SettingsError) as raised:
            load_settings()

        assert "RSC_ENVIRONMENT: Input should be 'development' or 'production' (got 'prod')" in str(
            raised.value
        )
