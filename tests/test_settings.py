"""Settings come from RSC_ env vars in nested groups; bad values give one readable line per problem."""

from __future__ import annotations

import pytest

from rsc_service.settings import Environment, SettingsError, load_settings, safe_url


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
            "postgresql+asyncpg://svc:hunter2@db/rsc",  # a whole group given as a string is echoed
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
