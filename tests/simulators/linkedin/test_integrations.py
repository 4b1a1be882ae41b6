"""Integrations, configurations, and push notifications (challenge, signature, status change, resync)."""

from __future__ import annotations

import hashlib
import hmac
import json

from .conftest import ORG, Sim, make_sim

OCE = f"integrationContext={ORG}&integrationType=ONE_CLICK_EXPORT&tenantType=RECRUITER&dataProvider=ATS"
CALLBACK = "https://ats.example/v1/linkedin/notifications/acme"


def ids(context: str, kind: str) -> str:
    return (
        f"ids[0].integrationContext={context}&ids[0].integrationType={kind}"
        "&ids[0].tenantType=RECRUITER&ids[0].dataProvider=ATS"
    )


async def set_callback(sim: Sim, auth: dict[str, str], url: str = CALLBACK) -> dict[str, object]:
    response = await sim.client.put(
        f"/v2/atsIntegrations/{OCE}/configurations?ids=CALLBACK_URL",
        headers=auth | {"x-restli-method": "batch_update"},
        json={"entities": {"CALLBACK_URL": {"configurationValue": {"string": url}}}},
    )
    assert response.status_code == 200
    body: dict[str, object] = response.json()
    return body


class TestIntegrations:
    async def test_naming_then_verifying(self, sim: Sim, auth: dict[str, str]) -> None:
        key = f"integrationContext={ORG}&integrationType=PROFILE_PLUGIN&tenantType=RECRUITER&dataProvider=ATS"
        response = await sim.client.post(
            "/v2/atsIntegrations?" + ids(ORG, "PROFILE_PLUGIN"),
            headers=auth | {"x-restli-method": "batch_partial_update"},
            json={"entities": {key: {"patch": {"$set": {"integrationName": "Acme Profile Plugin"}}}}},
        )
        assert response.json()["errors"] == {}
        got = (await sim.client.get("/v2/atsIntegrations?" + ids(ORG, "PROFILE_PLUGIN"), headers=auth)).json()
        record = next(iter(got["results"].values()))
        assert record["integrationName"] == "Acme Profile Plugin"
        assert record["status"] == "ENABLED"

    async def test_csa_api_needs_a_contract_context(self, sim: Sim, auth: dict[str, str]) -> None:
        key = f"integrationContext={ORG}&integrationType=CSA_API&tenantType=RECRUITER&dataProvider=ATS"
        response = await sim.client.post(
            "/v2/atsIntegrations?" + ids(ORG, "CSA_API"),
            headers=auth | {"x-restli-method": "batch_partial_update"},
            json={"entities": {key: {"patch": {"$set": {"integrationName": "x"}}}}},
        )
        assert next(iter(response.json()["errors"].values()))["status"] == 422

    async def test_configurations_put_get_delete(self, sim: Sim, auth: dict[str, str]) -> None:
        assert (await set_callback(sim, auth))["results"] == {"CALLBACK_URL": {"status": 204}}
        got = await sim.client.get(f"/v2/atsIntegrations/{OCE}/configurations?ids=CALLBACK_URL", headers=auth)
        assert got.json()["results"]["CALLBACK_URL"] == {"configurationValue": {"string": CALLBACK}}
        deleted = await sim.client.delete(
            f"/v2/atsIntegrations/{OCE}/configurations?ids=JOB_POSTING_VIEWERS", headers=auth
        )
        assert deleted.json()["results"] == {"JOB_POSTING_VIEWERS": {"status": 204}}
        assert sim.world.callback_url(ORG) == CALLBACK

    async def test_callback_must_be_https_unless_insecure_local(self, sim: Sim, auth: dict[str, str]) -> None:
        body = await set_callback(sim, auth, "http://127.0.0.1:9000/cb")
        assert "https" in json.dumps(body["errors"])
        local = make_sim(allow_insecure_local=True)
        assert (await set_callback(local, await local.headers(), "http://127.0.0.1:9000/cb"))["errors"] == {}

    async def test_a_callback_that_is_no_url_is_refused_by_name(self, sim: Sim, auth: dict[str, str]) -> None:
        for url in ("https://[::1", "https://ats.example:99999/cb", "https://ats.example/c b"):
            body = await set_callback(sim, auth, url)
            assert body["errors"] == {
                "CALLBACK_URL": {
                    "status": 422,
                    "message": f"ERROR :: /configurationValue/string :: {json.dumps(url)} is not an absolute"
                    " https URL",
                }
            }, url
        assert sim.world.callback_url(ORG) is None


class TestNotifications:
    async def test_admin_enable_validates_then_posts_a_signed_status_change(
        self, sim: Sim, auth: dict[str, str]
    ) -> None:
        await set_callback(sim, auth)
        result = (await sim.client.post("/_sim/admin/enable", json={"clientId": "sim-customer"})).json()
        assert result["delivery"]["delivered"] is True
        challenge = sim.receiver.challenges[0]
        assert challenge["applicationId"] == "101"
        headers, body = sim.receiver.posts[0]
        payload = json.loads(body)
        assert payload["type"] == "INTEGRATION_STATUS_CHANGE"
        assert payload["id"] == result["requestId"]
        expected = hmac.new(b"sim-customer-secret", b"hmacsha256=" + body, hashlib.sha256).hexdigest()
        assert headers["x-li-signature"] == expected
        found = await sim.client.get(f"/v2/atsIntegrations?q=request&requestId={payload['id']}", headers=auth)
        types = {e["integrationType"] for e in found.json()["elements"]}
        assert types == {"IN_ATS_INDICATOR", "ONE_CLICK_EXPORT", "PROFILE_PLUGIN", "CSA_API"}

    async def test_disabling_pauses_data_and_is_notified(self, sim: Sim, auth: dict[str, str]) -> None:
        await set_callback(sim, auth)
        result = (await sim.client.post("/_sim/admin/enable", json={"enabled": False})).json()
        assert {i["status"] for i in result["integrations"]} == {"DISABLED"}
        assert json.loads(sim.receiver.posts[0][1])["type"] == "INTEGRATION_STATUS_CHANGE"

    async def test_failed_challenges_block_the_endpoint_after_three(
        self, sim: Sim, auth: dict[str, str]
    ) -> None:
        await set_callback(sim, auth)
        sim.receiver.answer_challenge = False
        for _ in range(3):
            result = (await sim.client.post("/_sim/admin/enable", json={})).json()
            assert result["delivery"]["attempts"] == [
                {"error": "This URL did not pass the security challenge check"}
            ]
        sim.receiver.answer_challenge = True
        await sim.client.post("/_sim/admin/enable", json={})
        assert len(sim.receiver.challenges) == 3
        assert sim.receiver.posts == []

    async def test_challenge_is_repeated_after_two_hours(self, sim: Sim, auth: dict[str, str]) -> None:
        await set_callback(sim, auth)
        await sim.client.post("/_sim/admin/enable", json={})
        await sim.client.post("/_sim/admin/enable", json={})
        assert len(sim.receiver.challenges) == 1
        sim.clock.advance(hours=2, seconds=1)
        await sim.client.post("/_sim/admin/enable", json={})
        assert len(sim.receiver.challenges) == 2

    async def test_non_2xx_is_retried_and_duplicates_can_be_sent(self) -> None:
        sim = make_sim(notification_retries=1, notification_duplicates=1)
        auth = await sim.headers()
        await set_callback(sim, auth)
        sim.receiver.post_status = 500
        failed = (await sim.client.post("/_sim/admin/enable", json={})).json()["delivery"]
        assert failed["attempts"] == [{"status": 500}, {"status": 500}]
        sim.receiver.post_status = 202
        delivered = (await sim.client.post("/_sim/admin/enable", json={})).json()["delivery"]
        assert delivered["attempts"] == [{"status": 202}, {"status": 202, "duplicate": True}]
        ids = [json.loads(b)["id"] for _, b in sim.receiver.posts[-2:]]
        assert ids[0] == ids[1]

    async def test_resync_jobs_goes_to_the_partner_webhook_signed_with_the_partner_secret(
        self, sim: Sim
    ) -> None:
        sim.receiver.secret = "sim-partner-secret"
        await sim.client.put(
            "/_sim/partner/webhook", json={"url": "https://ats.example/v1/linkedin/job-notifications"}
        )
        result = await sim.client.post("/_sim/resync-jobs", json={"externalJobPostingIds": ["J1", "J2"]})
        assert result.json()["delivery"]["delivered"] is True
        headers, body = sim.receiver.posts[0]
        assert json.loads(body) == {
            "developerApplicationUrn": "urn:li:developerApplication:101",
            "externalJobPostingIds": ["J1", "J2"],
            "syncAllOpenJobs": False,
            "type": "RESYNC_JOBS",
        }
        expected = hmac.new(b"sim-partner-secret", b"hmacsha256=" + body, hashlib.sha256).hexdigest()
        assert headers["x-li-signature"] == expected


class TestAdminAccess:
    async def test_contract_access_alone_moves_only_csa_api(self, sim: Sim, auth: dict[str, str]) -> None:
        await sim.client.post("/_sim/admin/enable", json={"enabled": False})
        result = (await sim.client.post("/_sim/admin/enable", json={"access": "contract"})).json()
        assert [i["integrationType"] for i in result["integrations"]] == ["CSA_API"]
        seats = await sim.client.get(
            "/v2/seatsV2?q=attributes&contracts=urn:li:contract:2001&start=0", headers=auth
        )
        assert seats.status_code == 200
        candidates = await sim.client.get(
            "/v2/atsCandidates?ids[0].atsCandidateId=C1&ids[0].dataProvider=ATS"
            f"&ids[0].integrationContext={ORG}",
            headers=auth,
        )
        assert candidates.status_code == 403
