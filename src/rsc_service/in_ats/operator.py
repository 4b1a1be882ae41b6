"""What an operator sets for the In-ATS routes: the deep-link template, and the credential read back or
rotated (docs/in-ats.md#operators). Functions flush, never commit."""

from __future__ import annotations

import re
from urllib.parse import urlsplit

from sqlalchemy.ext.asyncio import AsyncSession

from rsc_service import crypto
from rsc_service.errors import FieldProblem, NotFound, Unprocessable
from rsc_service.in_ats.service import CANDIDATE_ID
from rsc_service.tenants import in_ats_credential
from rsc_service.tenants.models import Tenant

_FIELD = "body.candidate_url_template"
# urlsplit drops tabs and newlines and strips leading spaces and controls, so it would pass a template that
# is no URL as given: any such character is refused before the URL is looked at.
_CONTROL_OR_SPACE = re.compile(r"[\x00-\x20\x7f]")


class NoCredential(NotFound):
    code = "no_in_ats_credential"

    def __init__(self, tenant: Tenant) -> None:
        super().__init__(
            f"tenant {tenant.key} has no In-ATS credential yet: it is issued when its child application is "
            "provisioned, or by POST …/in-ats/credential"
        )


def checked_template(template: str | None, *, allow_insecure_local: bool) -> str | None:
    """The template as given, or a 422 naming the field: an https URL (http only for local development)
    with exactly one `{candidate_id}`, no other braces, and no space or control character."""
    if template is None:
        return None
    problem = None
    try:
        parts = urlsplit(template)
    except ValueError:  # an unbalanced IPv6 bracket
        parts = urlsplit("")
    schemes = {"https", "http"} if allow_insecure_local else {"https"}
    if _CONTROL_OR_SPACE.search(template):
        problem = "may hold no space or control character"
    elif parts.scheme not in schemes or not parts.netloc:
        problem = "must be an absolute " + " or ".join(sorted(schemes)) + " URL"
    elif template.count(CANDIDATE_ID) != 1:
        problem = f"must contain {CANDIDATE_ID} exactly once"
    elif "{" in template.replace(CANDIDATE_ID, "") or "}" in template.replace(CANDIDATE_ID, ""):
        problem = f"may hold no placeholder but {CANDIDATE_ID}"
    elif CANDIDATE_ID in parts.netloc:
        problem = f"must keep {CANDIDATE_ID} out of the host"
    if problem:
        raise Unprocessable(
            f"candidate_url_template {problem}", errors=[FieldProblem(field=_FIELD, reason=problem)]
        )
    return template


async def set_template(
    session: AsyncSession, tenant: Tenant, template: str | None, *, allow_insecure_local: bool
) -> Tenant:
    tenant.candidate_url_template = checked_template(template, allow_insecure_local=allow_insecure_local)
    await session.flush()
    return tenant


def credential(tenant: Tenant, *, cipher: crypto.Cipher) -> str:
    found = in_ats_credential.reveal(tenant, cipher=cipher)
    if found is None:
        raise NoCredential(tenant)
    return found


async def rotate_credential(session: AsyncSession, tenant: Tenant, *, cipher: crypto.Cipher) -> str:
    """A new credential; the old one stops working at once (LinkedIn's side is given the new one)."""
    issued = in_ats_credential.issue(tenant, cipher=cipher)
    await session.flush()
    return issued
