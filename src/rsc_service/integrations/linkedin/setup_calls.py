"""The calls that set a customer up: child-app provisioning (partner token), integrations, configurations."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from urllib.parse import quote

from rsc_service.integrations.linkedin import restli, wire
from rsc_service.integrations.linkedin.batch import BatchResult
from rsc_service.integrations.linkedin.throttle import Group
from rsc_service.integrations.linkedin.transport import Call, Transport, decode_json, read_model

_PROVISIONED = "/v2/provisionedApplications"
_INTEGRATIONS = "/v2/atsIntegrations"


class SetupCalls:
    _transport: Transport

    # ---- provisioning (docs/linkedin.md#provisioning): only with the partner app's credentials ----

    async def provision_application(
        self, application: wire.ProvisionedApplicationCreate
    ) -> wire.ProvisionedApplication:
        """Create a customer's child app; LinkedIn answers 409 for a `uniqueForeignId` it already knows."""
        call = Call("POST", _PROVISIONED, Group.PROVISIONING, body=application.to_wire())
        response = await self._transport.send(call)
        if not response.content:  # a bare Rest.li create names the new key only in a header
            key = response.headers.get("x-restli-id") or response.headers.get("x-linkedin-id")
            return wire.ProvisionedApplication(
                key=key, name=application.name, unique_foreign_id=application.unique_foreign_id
            )
        return read_model(wire.ProvisionedApplication, decode_json(response, _PROVISIONED), _PROVISIONED)

    async def update_provisioned_application(
        self,
        application_urn: str,
        *,
        valid_js_sdk_domains: Sequence[str] | None = None,
        oauth2_authorized_callback_urls: Sequence[str] | None = None,
    ) -> None:
        changes: dict[str, list[str]] = {}
        if valid_js_sdk_domains is not None:
            changes["validJsSdkDomains"] = list(valid_js_sdk_domains)
        if oauth2_authorized_callback_urls is not None:
            changes["oauth2AuthorizedCallbackUrls"] = list(oauth2_authorized_callback_urls)
        if not changes:
            raise ValueError("nothing to update")
        # LinkedIn's collection sends this partial update without an X-RestLi-Method header.
        path = f"{_PROVISIONED}/{quote(application_urn, safe='')}"
        await self._transport.send(
            Call("POST", path, Group.PROVISIONING, body=wire.PartialUpdate.setting(changes).to_wire())
        )

    async def find_provisioned_application(
        self, unique_foreign_id: str
    ) -> wire.ProvisionedApplication | None:
        query = [
            restli.param("q", "credentialsByUniqueForeignId"),
            restli.param("uniqueForeignId", unique_foreign_id),
        ]
        page = await self._transport.finder(
            _PROVISIONED, query, wire.ProvisionedApplication, group=Group.PROVISIONING
        )
        return page.elements[0] if page.elements else None

    # ---- integrations (docs/linkedin.md#integrations-and-configurations) ----

    async def name_integrations(
        self, names: Mapping[wire.IntegrationKey, str]
    ) -> BatchResult[wire.IntegrationKey, int]:
        """Set the `integrationName` a Recruiter admin sees before enabling each integration."""
        entities = [
            (key.fields(), key, wire.PartialUpdate.setting({"integrationName": name}).to_wire())
            for key, name in names.items()
        ]
        return await self._transport.batch_write(
            "POST", _INTEGRATIONS, entities, restli_method="batch_partial_update", group=Group.INTEGRATIONS
        )

    async def get_integrations(
        self, keys: Sequence[wire.IntegrationKey]
    ) -> BatchResult[wire.IntegrationKey, wire.AtsIntegration]:
        return await self._transport.batch_get(
            _INTEGRATIONS,
            [(key.fields(), key) for key in keys],
            wire.AtsIntegration.model_validate,
            group=Group.INTEGRATIONS,
        )

    async def get_integration_status(self, request_id: str) -> wire.Page[wire.AtsIntegration]:
        """What an INTEGRATION_STATUS_CHANGE notification with this id is about."""
        query = [restli.param("q", "request"), restli.param("requestId", request_id)]
        return await self._transport.finder(
            _INTEGRATIONS, query, wire.AtsIntegration, group=Group.INTEGRATIONS
        )

    async def put_configurations(
        self, integration: wire.IntegrationKey, values: Mapping[str, str]
    ) -> BatchResult[str, int]:
        """Set configuration values such as CALLBACK_URL or JOB_POSTING_VIEWERS=ALL_PRODUCT_USERS."""
        entities = [
            (name, name, wire.IntegrationConfiguration.of(value).to_wire()) for name, value in values.items()
        ]
        return await self._transport.batch_write(
            "PUT",
            _configurations(integration),
            entities,
            restli_method="batch_update",
            group=Group.INTEGRATIONS,
        )

    async def get_configurations(
        self, integration: wire.IntegrationKey, names: Sequence[str]
    ) -> BatchResult[str, wire.IntegrationConfiguration]:
        return await self._transport.batch_get(
            _configurations(integration),
            [(name, name) for name in names],
            wire.IntegrationConfiguration.model_validate,
            group=Group.INTEGRATIONS,
        )

    async def delete_configurations(
        self, integration: wire.IntegrationKey, names: Sequence[str]
    ) -> BatchResult[str, int]:
        """Remove values; deleting a *_VIEWERS value hides entities without ACLs again."""
        entities = [(name, name, None) for name in names]
        return await self._transport.batch_write(
            "DELETE", _configurations(integration), entities, restli_method=None, group=Group.INTEGRATIONS
        )


def _configurations(integration: wire.IntegrationKey) -> str:
    return f"{_INTEGRATIONS}/{restli.encode_key(integration.fields())}/configurations"
