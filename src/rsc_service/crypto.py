"""Secrets at rest: MultiFernet with the plaintext wrapped in an envelope bound to (tenant, column).

Fernet has no associated data, so the envelope carries it: a ciphertext copied to another tenant's
row, or to another column, fails to decrypt instead of yielding a valid secret.

Keys are listed newest first: the first encrypts, any of them decrypts. `rsc-service rotate-keys`
re-encrypts every stored secret under the first (the envelope travels unchanged inside), after which the
older keys can be removed (docs/architecture.md#15-secrets).
"""

from __future__ import annotations

import hashlib
import hmac
import json
from collections.abc import Sequence

from cryptography.fernet import Fernet, InvalidToken, MultiFernet


class SecretsUnavailable(RuntimeError):
    """No encryption key is configured, or a stored secret cannot be decrypted with the keys we have."""


class Cipher:
    def __init__(self, keys: Sequence[str]) -> None:
        if not keys:
            raise SecretsUnavailable(
                "RSC_SECURITY__ENCRYPTION_KEYS is empty: set one or more Fernet keys, newest first "
                "(`rsc-service keygen` prints a new one)"
            )
        try:
            fernets = [Fernet(key) for key in keys]
        except ValueError as error:
            raise SecretsUnavailable(
                f"RSC_SECURITY__ENCRYPTION_KEYS holds an invalid Fernet key: {error}"
            ) from None
        self._newest = fernets[0]  # MultiFernet encrypts with the first key
        self._fernet = MultiFernet(fernets)

    def encrypt(self, value: str, *, tenant_id: str, column: str) -> str:
        envelope = json.dumps({"t": tenant_id, "c": column, "v": value}, separators=(",", ":"))
        return self._fernet.encrypt(envelope.encode()).decode()

    def decrypt(self, token: str, *, tenant_id: str, column: str) -> str:
        try:
            envelope = json.loads(self._fernet.decrypt(token.encode()))
        except InvalidToken:
            raise SecretsUnavailable(f"{column} cannot be decrypted with the configured keys") from None
        if envelope.get("t") != tenant_id or envelope.get("c") != column:
            raise SecretsUnavailable(f"{column} belongs to another tenant or column")
        return str(envelope["v"])

    def rotate(self, token: str, *, tenant_id: str, column: str) -> str | None:
        """`token` re-encrypted under the newest key with its envelope unchanged (MultiFernet.rotate keeps
        the plaintext and its timestamp), or None when the newest key already opens it, so a repeated
        rotation rewrites nothing. A token no configured key opens, or one bound to another tenant or
        column, raises SecretsUnavailable and is left as it is."""
        raw = token.encode()
        try:
            self._newest.decrypt(raw)
        except InvalidToken:
            pass
        else:
            return None
        self.decrypt(token, tenant_id=tenant_id, column=column)  # readable, and bound to this row
        return self._fernet.rotate(raw).decode()


def hash_api_key(api_key: str) -> str:
    # API keys are 32 random bytes, so a fast hash is enough: there is nothing to brute-force.
    return hashlib.sha256(api_key.encode()).hexdigest()


def same_secret(given: str, expected: str) -> bool:
    return hmac.compare_digest(given.encode(), expected.encode())
