"""OAuth on the simulator: client credentials, 3-legged authorize, and 401s on API calls."""

from __future__ import annotations

from urllib.parse import parse_qs, urlsplit

from .conftest import Sim, ids_v1


class TestClientCredentials:
    async def test_child_token_is_issued_for_thirty_minutes(self, sim: Sim) -> None:
        response = await sim.client.post(
            "/oauth/v2/accessToken",
            data={
                "grant_type": "client_credentials",
                "client_id": "sim-customer",
                "client_secret": "sim-customer-secret",
            },
        )
        assert response.status_code == 200
        assert response.json()["expires_in"] == 1800
        assert response.json()["access_token"] in sim.world.tokens

    async def test_form_sent_as_text_plain_is_accepted(self, sim: Sim) -> None:
        response = await sim.client.post(
            "/oauth/v2/accessToken",
            content=b"grant_type=client_credentials&client_id=sim-partner&client_secret=sim-partner-secret",
            headers={"Content-Type": "text/plain"},
        )
        assert response.status_code == 200

    async def test_bad_secret_is_an_oauth_style_401(self, sim: Sim) -> None:
        response = await sim.client.post(
            "/oauth/v2/accessToken",
            data={"grant_type": "client_credentials", "client_id": "sim-customer", "client_secret": "nope"},
        )
        assert response.status_code == 401
        assert response.json() == {
            "error": "invalid_client",
            "error_description": "Client authentication failed",
        }


class TestApiAuthentication:
    async def test_missing_token_is_empty_oauth2_access_token(self, sim: Sim) -> None:
        response = await sim.client.get("/v2/atsCandidates?" + ids_v1("atsCandidateId", ["C1"]))
        assert response.status_code == 401
        assert response.json() == {
            "message": "Empty oauth2_access_token",
            "serviceErrorCode": 401,
            "status": 401,
        }

    async def test_non_bearer_scheme_is_rejected(self, sim: Sim) -> None:
        response = await sim.client.get("/v2/atsCandidates", headers={"Authorization": "Basic abc"})
        assert response.status_code == 401
        assert response.json()["message"] == "Unknown authentication schema"

    async def test_unknown_token_is_rejected(self, sim: Sim) -> None:
        response = await sim.client.get("/v2/atsCandidates", headers={"Authorization": "Bearer forged"})
        assert response.status_code == 401

    async def test_token_expires_after_its_lifetime(self, sim: Sim) -> None:
        headers = await sim.headers()
        url = "/v2/atsCandidates?" + ids_v1("atsCandidateId", ["C1"])
        assert (await sim.client.get(url, headers=headers)).status_code == 200
        sim.clock.advance(seconds=1801)
        response = await sim.client.get(url, headers=headers)
        assert response.status_code == 401
        assert response.json()["message"] == "The token used in the request has expired"

    async def test_partner_token_cannot_sync(self, sim: Sim) -> None:
        token = await sim.token("sim-partner", "sim-partner-secret")
        url = "/v2/atsCandidates?" + ids_v1("atsCandidateId", ["C1"])
        response = await sim.client.get(url, headers={"Authorization": f"Bearer {token}"})
        assert response.status_code == 403

    async def test_child_token_cannot_provision(self, sim: Sim) -> None:
        response = await sim.client.get(
            "/v2/provisionedApplications?q=credentialsByUniqueForeignId&uniqueForeignId=x",
            headers=await sim.headers(),
        )
        assert response.status_code == 403


class TestThreeLegged:
    async def test_authorize_code_exchange_and_me(self, sim: Sim) -> None:
        redirect = "https://ats.example/oauth/callback"
        page = await sim.client.get(
            "/oauth/v2/authorization",
            params={
                "response_type": "code",
                "client_id": "sim-customer",
                "redirect_uri": redirect,
                "state": "s1",
            },
        )
        assert page.status_code == 302
        location = urlsplit(page.headers["location"])
        query = parse_qs(location.query)
        assert query["state"] == ["s1"]
        token = await sim.client.post(
            "/oauth/v2/accessToken",
            data={
                "grant_type": "authorization_code",
                "code": query["code"][0],
                "redirect_uri": redirect,
                "client_id": "sim-customer",
                "client_secret": "sim-customer-secret",
            },
        )
        assert token.status_code == 200
        me = await sim.client.get(
            "/v2/me?fields=id", headers={"Authorization": f"Bearer {token.json()['access_token']}"}
        )
        assert me.json() == {"id": "m1001"}

    async def test_code_is_single_use(self, sim: Sim) -> None:
        page = await sim.client.get(
            "/oauth/v2/authorization",
            params={"client_id": "sim-customer", "redirect_uri": "https://a.example/cb"},
        )
        code = parse_qs(urlsplit(page.headers["location"]).query)["code"][0]
        form = {
            "grant_type": "authorization_code",
            "code": code,
            "client_id": "sim-customer",
            "client_secret": "sim-customer-secret",
        }
        assert (await sim.client.post("/oauth/v2/accessToken", data=form)).status_code == 200
        assert (await sim.client.post("/oauth/v2/accessToken", data=form)).status_code == 400


class TestRevocation:
    async def test_revoked_tokens_answer_401(self, sim: Sim) -> None:
        headers = await sim.headers()
        url = "/v2/atsCandidates?" + ids_v1("atsCandidateId", ["C1"])
        assert (await sim.client.get(url, headers=headers)).status_code == 200
        assert (await sim.client.delete("/_sim/tokens")).json() == {"revoked": 1}
        assert (await sim.client.get(url, headers=headers)).status_code == 401


class TestAuthorizeMember:
    async def test_no_configured_member_means_the_user_cancelled(self, sim: Sim) -> None:
        await sim.client.put("/_sim/authorize-member", json={"member": None})
        page = await sim.client.get(
            "/oauth/v2/authorization",
            params={"client_id": "sim-customer", "redirect_uri": "https://a.example/cb"},
        )
        assert parse_qs(urlsplit(page.headers["location"]).query)["error"] == ["user_cancelled_authorize"]

    async def test_redirect_uri_must_be_registered_when_the_app_lists_some(self, sim: Sim) -> None:
        sim.world.apps["sim-customer"].callback_urls = ["https://ats.example/cb"]
        page = await sim.client.get(
            "/oauth/v2/authorization",
            params={"client_id": "sim-customer", "redirect_uri": "https://evil.example/cb"},
        )
        assert page.status_code == 400
