"""What the ATS reads to render a candidate's LinkedIn tab."""

from __future__ import annotations

from pydantic import BaseModel, Field

from rsc_service.links_api.schemas import LinkRead


class WidgetRead(BaseModel):
    """LinkedIn's profile widget as the ATS embeds it: the JS SDK script, then an `IN/HcmWidget` script tag
    carrying `attributes`."""

    script_src: str = Field(description="LinkedIn's JS SDK, loaded once per page")
    api_key: str = Field(
        description="The customer's child application's client id (public), the SDK's api_key"
    )
    extensions: str = Field(description="The SDK's `extensions` line")
    attributes: dict[str, str] = Field(
        description="The `IN/HcmWidget` script tag's data attributes, in order",
        examples=[{"data-widget-type": "ATS", "data-ats-candidate-id": "cand_1"}],
    )
    allowed_domains: list[str] = Field(
        description="The ATS origins LinkedIn lets the widget run on (the child app's validJsSdkDomains)"
    )
    onlink: str = Field(description="Where the page's onlink callback sends the member: PUT with member_urn")
    onunlink: str = Field(description="Where the page's onunlink callback goes: DELETE")


class SeatHolderRead(BaseModel):
    """R4: the user holds a connected Recruiter seat, so the tab offers the seat holder's actions."""

    seat_urn: str
    contract: str
    member_urn: str = Field(description="The seat holder: who LinkedIn shows the enhanced profile to")
    actions: list[str] = Field(
        description="What the widget offers a seat holder beside the profile",
        examples=[["open_in_recruiter", "add_to_project", "send_inmail", "add_note"]],
    )


class LinkedInTabRead(BaseModel):
    candidate_id: str
    ats_user_id: str
    integration_context: str = Field(examples=["urn:li:organization:1001"])
    widget: WidgetRead
    link: LinkRead = Field(description="What is known of the candidate's LinkedIn profile: the member linked")
    seat_holder: SeatHolderRead | None = Field(
        description="Null: the user holds no connected seat, and sees the profile as any ATS user does (R3)"
    )
