"""Every webhook example, signed by any Standard Webhooks implementation, verifies and parses."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
from datetime import UTC, datetime
from typing import Any

import pytest
from standardwebhooks import Webhook

from rsc_service.integrations.ats import errors, signatures, wire

SECRET = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"
NOW = datetime(2026, 3, 2, 9, 15, 3, tzinfo=UTC)


def hand_signed(body: bytes, secret: str, msg_id: str, timestamp: int) -> dict[str, str]:
    """An independent Standard Webhooks signer: HMAC-SHA256 over `{id}.{timestamp}.{body}`, base64, `v1,`."""
    key = base64.b64decode(secret.removeprefix("whsec_"))
    digest = hmac.new(key, msg_id.encode() + b"." + str(timestamp).encode() + b"." + body, hashlib.sha256)
    signature = "v1," + base64.b64encode(digest.digest()).decode()
    return {"webhook-id": msg_id, "webhook-timestamp": str(timestamp), "webhook-signature": signature}


def library_signed(body: bytes, secret: str, msg_id: str, timestamp: int) -> dict[str, str]:
    when = datetime.fromtimestamp(timestamp, UTC)
    signature = Webhook(secret).sign(msg_id=msg_id, timestamp=when, data=body.decode())
    return {"webhook-id": msg_id, "webhook-timestamp": str(timestamp), "webhook-signature": signature}


def webhook_examples(spec: dict[str, Any]) -> list[tuple[str, dict[str, Any]]]:
    return [
        (name, item["post"]["requestBody"]["content"]["application/json"]["example"])
        for name, item in spec["webhooks"].items()
    ]


class TestWebhookExamples:
    @pytest.mark.parametrize("signer", [hand_signed, library_signed], ids=["independent", "standardwebhooks"])
    def test_signed_examples_verify_and_parse(self, ats_contract: dict[str, Any], signer: Any) -> None:
        examples = webhook_examples(ats_contract)
        for name, example in examples:
            body = json.dumps(example, indent=2).encode()
            headers = signer(body, SECRET, example["id"], int(NOW.timestamp()))

            signatures.verify(body, headers, [signatures.new_secret(), SECRET], now=NOW)
            event = wire.parse_event(body)

            assert event.type == name == example["type"]
            assert event.id == example["id"]
            assert event.data.id == example["data"]["id"]
            assert event.data.kind == example["data"]["kind"] == name.split(".")[0]
            assert event.data.version == example["data"]["version"]
            assert event.deleted is event.data.deleted is name.endswith(".deleted")
        assert len(examples) == 19

    def test_both_signers_agree(self, ats_contract: dict[str, Any]) -> None:
        for _, example in webhook_examples(ats_contract):
            body = json.dumps(example).encode()

            assert hand_signed(body, SECRET, example["id"], 1772442900) == library_signed(
                body, SECRET, example["id"], 1772442900
            )

    def test_our_signer_agrees_with_both(self, ats_contract: dict[str, Any]) -> None:
        _, example = webhook_examples(ats_contract)[0]
        body = json.dumps(example).encode()

        assert signatures.sign(body, SECRET, example["id"], 1772442900) == hand_signed(
            body, SECRET, example["id"], 1772442900
        )

    def test_reserialised_body_fails(self, ats_contract: dict[str, Any]) -> None:
        _, example = webhook_examples(ats_contract)[0]
        pretty = json.dumps(example, indent=2).encode()
        headers = hand_signed(pretty, SECRET, example["id"], int(NOW.timestamp()))

        with pytest.raises(errors.SignatureError, match="no matching signature"):
            signatures.verify(json.dumps(example).encode(), headers, [SECRET], now=NOW)

    def test_child_records_name_their_parents(self, ats_contract: dict[str, Any]) -> None:
        for name, example in webhook_examples(ats_contract):
            event = wire.parse_event(json.dumps(example).encode())
            if event.data.kind in {"application", "interview_feedback"}:
                assert example["data"]["candidate_id"] and example["data"]["job_id"], name
            if event.data.kind in {"note", "interview_feedback"}:
                assert example["data"]["candidate_id"], name
