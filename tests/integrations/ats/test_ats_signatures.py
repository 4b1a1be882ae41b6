"""Standard Webhooks verification: reference vectors, rotation, and every failure reason."""

from __future__ import annotations

import base64
import hashlib
import hmac
from datetime import UTC, datetime, timedelta

import pytest
from standardwebhooks import Webhook

from rsc_service.integrations.ats import errors, signatures

# The Standard Webhooks reference libraries' shared test vector.
VECTOR_SECRET = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"
VECTOR_ID = "msg_p5jXN8AQM9LWM0D4loKWxJek"
VECTOR_TIMESTAMP = 1614265330
VECTOR_BODY = b'{"test": 2432232314}'
VECTOR_SIGNATURE = "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE="
VECTOR_NOW = datetime.fromtimestamp(VECTOR_TIMESTAMP, UTC)


def vector_headers(signature: str = VECTOR_SIGNATURE) -> dict[str, str]:
    return {
        "webhook-id": VECTOR_ID,
        "webhook-timestamp": str(VECTOR_TIMESTAMP),
        "webhook-signature": signature,
    }


def independent_signature(body: bytes, secret: str, msg_id: str, timestamp: int) -> str:
    key = base64.b64decode(secret.removeprefix("whsec_"))
    mac = hmac.new(key, f"{msg_id}.{timestamp}.".encode() + body, hashlib.sha256).digest()
    return "v1," + base64.b64encode(mac).decode()


class TestReferenceVectors:
    def test_sign_matches_reference_signature(self) -> None:
        headers = signatures.sign(VECTOR_BODY, VECTOR_SECRET, VECTOR_ID, VECTOR_TIMESTAMP)

        assert headers == vector_headers()

    def test_reference_signature_verifies(self) -> None:
        signatures.verify(VECTOR_BODY, vector_headers(), [VECTOR_SECRET], now=VECTOR_NOW)

    def test_secret_without_prefix_verifies(self) -> None:
        signatures.verify(
            VECTOR_BODY, vector_headers(), [VECTOR_SECRET.removeprefix("whsec_")], now=VECTOR_NOW
        )

    def test_independent_hmac_agrees_with_library(self) -> None:
        mine = independent_signature(VECTOR_BODY, VECTOR_SECRET, VECTOR_ID, VECTOR_TIMESTAMP)

        assert mine == VECTOR_SIGNATURE

    def test_one_valid_among_several_signatures_verifies(self) -> None:
        noise = "v1,Ceo5qEr07ixe2NLpvHk3FH9bwy/WavXrAFQ/9tdO6mc="
        header = f"{noise} v2,Ceo5qEr07ixe2NLpvHk3FH9bwy/WavXrAFQ/9tdO6mc= {VECTOR_SIGNATURE} {noise}"

        signatures.verify(VECTOR_BODY, vector_headers(header), [VECTOR_SECRET], now=VECTOR_NOW)

    def test_headers_are_case_insensitive(self) -> None:
        headers = {key.upper(): value for key, value in vector_headers().items()}

        signatures.verify(VECTOR_BODY, headers, [VECTOR_SECRET], now=VECTOR_NOW)


class TestRotation:
    def test_any_of_several_secrets_verifies(self) -> None:
        old, new = signatures.new_secret(), signatures.new_secret()
        headers = signatures.sign(VECTOR_BODY, old, VECTOR_ID, VECTOR_TIMESTAMP)

        signatures.verify(VECTOR_BODY, headers, [new, old], now=VECTOR_NOW)

    def test_signing_with_two_secrets_verifies_with_either(self) -> None:
        old, new = signatures.new_secret(), signatures.new_secret()
        headers = signatures.sign(VECTOR_BODY, [old, new], VECTOR_ID, VECTOR_TIMESTAMP)

        assert len(headers["webhook-signature"].split(" ")) == 2
        signatures.verify(VECTOR_BODY, headers, [old], now=VECTOR_NOW)
        signatures.verify(VECTOR_BODY, headers, [new], now=VECTOR_NOW)

    def test_new_secret_is_accepted_by_the_library(self) -> None:
        secret = signatures.new_secret()
        headers = signatures.sign(b"{}", secret, "msg_1", datetime.now(UTC))

        assert Webhook(secret).verify(b"{}", headers) == {}


class TestFailures:
    @pytest.mark.parametrize("missing", ["webhook-id", "webhook-timestamp", "webhook-signature"])
    def test_missing_header_is_named(self, missing: str) -> None:
        headers = vector_headers()
        del headers[missing]

        with pytest.raises(errors.SignatureError, match=f"missing header {missing}"):
            signatures.verify(VECTOR_BODY, headers, [VECTOR_SECRET], now=VECTOR_NOW)

    @pytest.mark.parametrize("offset", [timedelta(minutes=-5, seconds=-1), timedelta(minutes=5, seconds=1)])
    def test_timestamp_outside_tolerance(self, offset: timedelta) -> None:
        with pytest.raises(errors.SignatureError, match="timestamp outside tolerance"):
            signatures.verify(VECTOR_BODY, vector_headers(), [VECTOR_SECRET], now=VECTOR_NOW + offset)

    def test_timestamp_at_the_edge_of_tolerance_verifies(self) -> None:
        signatures.verify(
            VECTOR_BODY, vector_headers(), [VECTOR_SECRET], now=VECTOR_NOW + timedelta(minutes=5)
        )

    def test_custom_tolerance_applies(self) -> None:
        with pytest.raises(errors.SignatureError, match="timestamp outside tolerance"):
            signatures.verify(
                VECTOR_BODY,
                vector_headers(),
                [VECTOR_SECRET],
                now=VECTOR_NOW + timedelta(seconds=31),
                tolerance=timedelta(seconds=30),
            )

    @pytest.mark.parametrize("raw", ["hello", "-5", "1614265330.5", "99999999999999999999"])
    def test_unreadable_timestamp(self, raw: str) -> None:
        headers = vector_headers() | {"webhook-timestamp": raw}

        with pytest.raises(errors.SignatureError, match="invalid header webhook-timestamp"):
            signatures.verify(VECTOR_BODY, headers, [VECTOR_SECRET], now=VECTOR_NOW)

    def test_tampered_body(self) -> None:
        with pytest.raises(errors.SignatureError, match="no matching signature"):
            signatures.verify(b'{"test": 2432232315}', vector_headers(), [VECTOR_SECRET], now=VECTOR_NOW)

    def test_wrong_secret(self) -> None:
        with pytest.raises(errors.SignatureError, match="no matching signature"):
            signatures.verify(VECTOR_BODY, vector_headers(), [signatures.new_secret()], now=VECTOR_NOW)

    def test_changed_id_breaks_the_signature(self) -> None:
        headers = vector_headers() | {"webhook-id": "msg_other"}

        with pytest.raises(errors.SignatureError, match="no matching signature"):
            signatures.verify(VECTOR_BODY, headers, [VECTOR_SECRET], now=VECTOR_NOW)

    def test_no_secrets_means_no_match(self) -> None:
        with pytest.raises(errors.SignatureError, match="no matching signature"):
            signatures.verify(VECTOR_BODY, vector_headers(), [], now=VECTOR_NOW)

    @pytest.mark.parametrize(
        "header", ["v1a,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=", "g0hM9SsE", "v1,%%%not-base64%%%"]
    )
    def test_no_usable_v1_signature(self, header: str) -> None:
        with pytest.raises(errors.SignatureError, match="no v1 signature"):
            signatures.verify(VECTOR_BODY, vector_headers(header), [VECTOR_SECRET], now=VECTOR_NOW)

    def test_body_that_is_not_utf8(self) -> None:
        with pytest.raises(errors.SignatureError, match="not UTF-8"):
            signatures.verify(b"\xff\xfe", vector_headers(), [VECTOR_SECRET], now=VECTOR_NOW)

    def test_signature_error_is_an_ats_error(self) -> None:
        assert issubclass(errors.SignatureError, errors.AtsError)

    def test_malformed_configured_secret_is_a_value_error(self) -> None:
        with pytest.raises(ValueError, match="invalid webhook secret"):
            signatures.verify(VECTOR_BODY, vector_headers(), ["whsec_!!!"], now=VECTOR_NOW)

    def test_new_secret_size_is_bounded(self) -> None:
        with pytest.raises(ValueError, match="24 to 64 bytes"):
            signatures.new_secret(8)


class TestClock:
    def test_naive_now_is_taken_as_utc(self) -> None:
        signatures.verify(VECTOR_BODY, vector_headers(), [VECTOR_SECRET], now=VECTOR_NOW.replace(tzinfo=None))

    def test_sign_accepts_a_datetime(self) -> None:
        headers = signatures.sign(VECTOR_BODY, VECTOR_SECRET, VECTOR_ID, VECTOR_NOW)

        assert headers["webhook-signature"] == VECTOR_SIGNATURE
