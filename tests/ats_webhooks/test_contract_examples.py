"""Every webhook example in openapi/ats-api.yaml is accepted when signed by any Standard Webhooks signer."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
from datetime import datetime
from typing import Any

import pytest
import yaml
from standardwebhooks import Webhook

from rsc_service.context import AppContext
from tests.factories import Ats
from tests.processes import ROOT

CONTRACT = yaml.safe_load((ROOT / "openapi/ats-api.yaml").read_text())


def _examples() -> list[tuple[str, dict[str, Any]]]:
    found = []
    for name, item in CONTRACT["webhooks"].items():
        content = item["post"]["requestBody"]["content"]["application/json"]
        examples = (
            [content["example"]]
            if "example" in content
            else [e["value"] for e in content["examples"].values()]
        )
        found += [(name, example) for example in examples]
    return found


def _independent_signature(secret: str, msg_id: str, timestamp: int, body: bytes) -> str:
    key = base64.b64decode(secret.removeprefix("whsec_"))
    signed = f"{msg_id}.{timestamp}.".encode() + body
    return "v1," + base64.b64encode(hmac.new(key, signed, hashlib.sha256).digest()).decode()


@pytest.mark.parametrize(("name", "example"), _examples(), ids=[n for n, _ in _examples()])
@pytest.mark.parametrize("signer", ["standardwebhooks", "independent"])
async def test_each_example_is_accepted(
    ats: Ats, ctx: AppContext, name: str, example: dict[str, Any], signer: str
) -> None:
    body = json.dumps(example).encode()
    occurred = datetime.fromisoformat(example["occurred_at"].replace("Z", "+00:00"))
    ats.clock.now = occurred
    timestamp = int(occurred.timestamp())
    if signer == "standardwebhooks":
        signature = Webhook(ats.secret).sign(msg_id=example["id"], timestamp=occurred, data=body.decode())
    else:
        signature = _independent_signature(ats.secret, example["id"], timestamp, body)
    response = await ats.client.post(
        f"/v1/webhooks/ats/{ats.tenant_key}",
        content=body,
        headers={
            "content-type": "application/json",
            "webhook-id": example["id"],
            "webhook-timestamp": str(timestamp),
            "webhook-signature": f"v1a,ignored {signature}",
        },
    )
    assert response.status_code == 202, (name, response.text)
    assert response.json()["status"] == "accepted"
