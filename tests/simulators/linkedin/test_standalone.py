"""The standalone simulator under uvicorn: resets and hangs break the real connection."""

from __future__ import annotations

import httpx
import pytest

from tests.conformance.harness import simulator

IDS = "ids[0].atsCandidateId=C1&ids[0].dataProvider=ATS&ids[0].integrationContext=urn:li:organization:1001"


def token(http: httpx.Client) -> dict[str, str]:
    form = {
        "grant_type": "client_credentials",
        "client_id": "sim-customer",
        "client_secret": "sim-customer-secret",
    }
    return {"Authorization": f"Bearer {http.post('/oauth/v2/accessToken', data=form).json()['access_token']}"}


class TestStandaloneFaults:
    def test_reset_and_both_hangs_reach_the_client_as_transport_errors(self) -> None:
        with simulator() as base, httpx.Client(base_url=base, timeout=1.0) as http:
            auth = token(http)
            assert http.get(f"/v2/atsCandidates?{IDS}", headers=auth).status_code == 200
            assert http.get(f"/v2/atsCandidates?{IDS}&pad={'x' * 8200}", headers=auth).status_code == 414
            http.post("/_sim/faults", json={"kind": "reset", "count": 1, "pathPrefix": "/v2"})
            with pytest.raises(httpx.TransportError):
                http.get(f"/v2/atsCandidates?{IDS}", headers=auth)
            http.post(
                "/_sim/faults",
                json={"kind": "hang_before", "count": 1, "pathPrefix": "/v2", "hangSeconds": 0.8},
            )
            with pytest.raises(httpx.ReadTimeout):
                http.get(f"/v2/atsCandidates?{IDS}", headers=auth, timeout=0.3)
            http.post(
                "/_sim/faults",
                json={"kind": "hang_after", "count": 1, "pathPrefix": "/v2", "hangSeconds": 0.8},
            )
            key = "atsCandidateId=C1&dataProvider=ATS&integrationContext=urn:li:organization:1001"
            record = {
                "addresses": [],
                "phoneNumbers": [],
                "atsCreatedAt": 1_700_000_000_000,
                "atsLastModifiedAt": 1_700_000_000_000,
                "firstName": "J",
                "emailAddresses": ["j@example.com"],
            }
            with pytest.raises(httpx.ReadTimeout):
                http.put(
                    f"/v2/atsCandidates?{IDS}", json={"entities": {key: record}}, headers=auth, timeout=0.3
                )
            stored = http.get("/_sim/records/atsCandidates").json()["elements"]
            assert [e["fields"]["atsCandidateId"] for e in stored] == ["C1"]
            assert http.get(f"/v2/atsCandidates?{IDS}", headers=auth).status_code == 200
