"""The tenant's In-ATS credential: what LinkedIn's side presents as the bearer token on the In-ATS routes
(docs/in-ats.md#the-credential).

Issued when the customer's child application is provisioned, or when an operator registers a tenant with
an existing one; kept encrypted under the tenant's envelope (docs/architecture.md#15-secrets), so an
operator can read it back to hand it to LinkedIn, and rotated by an operator.
"""

from __future__ import annotations

import secrets

from rsc_service import crypto
from rsc_service.tenants.models import Tenant

PREFIX = "rscin_"
COLUMN = "in_ats_credential"  # the column name its envelope carries


def issue(tenant: Tenant, *, cipher: crypto.Cipher) -> str:
    """A new credential for the tenant, replacing any earlier one at once; the caller flushes."""
    credential = PREFIX + secrets.token_urlsafe(32)
    tenant.in_ats_credential_enc = cipher.encrypt(credential, tenant_id=str(tenant.id), column=COLUMN)
    return credential


def ensure(tenant: Tenant, *, cipher: crypto.Cipher) -> None:
    """Issue a credential unless the tenant already has one (provisioning again keeps it)."""
    if tenant.in_ats_credential_enc is None:
        issue(tenant, cipher=cipher)


def reveal(tenant: Tenant, *, cipher: crypto.Cipher) -> str | None:
    if tenant.in_ats_credential_enc is None:
        return None
    return cipher.decrypt(tenant.in_ats_credential_enc, tenant_id=str(tenant.id), column=COLUMN)


def verify(tenant: Tenant, given: str, *, cipher: crypto.Cipher) -> bool:
    """Whether `given` is the tenant's credential, compared in constant time; False without one."""
    try:
        expected = reveal(tenant, cipher=cipher)
    except crypto.SecretsUnavailable:
        return False
    return expected is not None and crypto.same_secret(given, expected)
