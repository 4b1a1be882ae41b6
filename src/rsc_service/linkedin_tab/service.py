"""R3/R4: the LinkedIn tab of a candidate for one ATS user, from what we hold; no outbound call.

Every ATS user gets the profile widget's embed settings (LinkedIn shows the current public profile, and
the link callbacks); a user holding a connected Recruiter seat gets the seat holder's actions as well
(docs/in-ats.md#the-linkedin-tab).
"""

from __future__ import annotations

from typing import Final
from urllib.parse import quote

from sqlalchemy.ext.asyncio import AsyncSession

from rsc_service.errors import Conflict
from rsc_service.linkedin_tab.schemas import LinkedInTabRead, SeatHolderRead, WidgetRead
from rsc_service.links_api import service as link_api
from rsc_service.seats import service as seat_service
from rsc_service.tenants.models import Tenant

SCRIPT_SRC: Final = "https://platform.linkedin.com/xdoor/scripts/in.js"
EXTENSIONS: Final = "HcmWidget@https://www.linkedin.com/recruiter/widget/hcm"
SEAT_HOLDER_ACTIONS: Final = ("open_in_recruiter", "add_to_project", "send_inmail", "add_note")
# The page defines these functions; each calls the link routes (docs/in-ats.md#links).
ONLINK: Final = "rscOnLink"
ONUNLINK: Final = "rscOnUnlink"


class NotConnected(Conflict):
    code = "not_connected"


async def tab(
    session: AsyncSession, tenant: Tenant, *, candidate_id: str, ats_user_id: str
) -> LinkedInTabRead:
    """The tab of `candidate_id` as `ats_user_id` sees it. 404 for a candidate the ATS does not have; 409
    while the customer has no LinkedIn application to embed the widget with."""
    if tenant.linkedin_client_id is None or tenant.linkedin_organization_urn is None:
        raise NotConnected("the customer is not connected to LinkedIn yet: the profile widget cannot load")
    link = await link_api.get(session, tenant_id=tenant.id, candidate_id=candidate_id)
    # The id is any string the ATS chose: percent-encoded whole, so the route names this candidate.
    link_path = f"/v1/integration/candidates/{quote(candidate_id, safe='')}/link"
    widget = WidgetRead(
        script_src=SCRIPT_SRC,
        api_key=tenant.linkedin_client_id,
        extensions=EXTENSIONS,
        attributes={
            "data-widget-type": "ATS",
            "data-ats-candidate-id": candidate_id,
            "data-integration-context": tenant.linkedin_organization_urn,
            "data-show-unlink-url": "true",
            "data-confirm-unlink": "true",
            "data-onlink": ONLINK,
            "data-onunlink": ONUNLINK,
        },
        allowed_domains=[tenant.ats_web_url] if tenant.ats_web_url else [],
        onlink=link_path,
        onunlink=link_path,
    )
    seat = await seat_service.connected_seat(session, tenant.id, ats_user_id)
    holder = None
    if seat is not None and seat.member_urn is not None:
        holder = SeatHolderRead(
            seat_urn=seat_service.seat_urn(seat.seat_id),
            contract=seat.contract_urn,
            member_urn=seat.member_urn,
            actions=list(SEAT_HOLDER_ACTIONS),
        )
    return LinkedInTabRead(
        candidate_id=candidate_id,
        ats_user_id=ats_user_id,
        integration_context=tenant.linkedin_organization_urn,
        widget=widget,
        link=link,
        seat_holder=holder,
    )
