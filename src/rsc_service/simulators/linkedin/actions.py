"""The `/_sim` control API, LinkedIn side: what recruiters, members and LinkedIn admins do."""

from __future__ import annotations

import uuid
from typing import Any, Literal

from fastapi import APIRouter, Request
from pydantic import Field

from . import recruiter
from .control import SimBody, http_client, sim_world
from .errors import RestliError
from .models import App, Member, Seat, StatusRequest
from .notifications import notify_customer, notify_resync
from .world import CONTRACT_TYPES, DEFAULT_CONTRACT_KIND, ORG_TYPES, World

router = APIRouter(prefix="/_sim")


class ExportIn(SimBody):
    seat: int
    member: str
    organization: str | None = None
    job: str | None = None


class EnableIn(SimBody):
    client_id: str = Field("sim-customer", alias="clientId")
    enabled: bool = True
    access: Literal["company", "contract", "both"] = "both"
    types: list[str] | None = None

    def chosen_types(self) -> list[str] | None:
        if self.types is not None:
            return self.types
        return {"company": list(ORG_TYPES), "contract": list(CONTRACT_TYPES), "both": None}[self.access]


class ConnectIn(SimBody):
    """The configuration plugin, run by `member` (default: the world's `authorizeMember`).

    `organization` defaults to the one where the member holds an ACTIVE seat (or the one `contracts` belong
    to); `contracts` default to the member's contracts in that organization, else all of its contracts."""

    client_id: str = Field(alias="clientId")
    organization: str | None = None
    contracts: list[str] | None = None
    member: str | None = None


class ResyncIn(SimBody):
    client_id: str = Field("sim-customer", alias="clientId")
    external_job_posting_ids: list[str] = Field(default_factory=list, alias="externalJobPostingIds")
    sync_all_open_jobs: bool = Field(False, alias="syncAllOpenJobs")


class WebhookIn(SimBody):
    url: str | None


class JobFeedIn(SimBody):
    organization: str = "urn:li:organization:1001"
    feed: bool = True


class InMailIn(SimBody):
    seat: int
    member: str
    subject: str = "Opportunity"
    body: str = "Hello"


class ReplyIn(SimBody):
    body: str = "Thanks"
    share_email: bool = Field(False, alias="shareEmail")
    share_phone: bool = Field(False, alias="sharePhone")


class NoteIn(SimBody):
    seat: int
    member: str
    note: str
    id: str | None = None


class MemberIn(SimBody):
    id: str
    first_name: str = Field(alias="firstName")
    last_name: str = Field(alias="lastName")
    email: str | None = None
    phone: str | None = None


class AuthorizeIn(SimBody):
    member: str | None


def _app(world: World, client_id: str) -> App:
    app = world.apps.get(client_id)
    if app is None or app.kind != "child":
        raise RestliError(404, f"No child application {client_id}")
    return app


@router.post("/exports")
async def exports(request: Request, body: ExportIn) -> dict[str, Any]:
    """A recruiter exports member M (for job J): EXPORT_CANDIDATE_PROFILE goes to the customer's callback."""
    world = sim_world(request)
    seat = world.seats.get(body.seat)
    organization = body.organization or (world.contracts.get(seat.contract) if seat else None)
    if organization is None:
        raise RestliError(404, f"Seat {body.seat} not found")
    record = recruiter.export(world, organization, body.seat, body.member.rsplit(":", 1)[-1], body.job)
    delivery = await notify_customer(
        world, http_client(request), organization, "EXPORT_CANDIDATE_PROFILE", record.request_id
    )
    return {"requestId": record.request_id, "delivery": delivery.as_json()}


@router.post("/admin/enable")
async def admin_enable(request: Request, body: EnableIn) -> dict[str, Any]:
    """A LinkedIn admin enables (or disables) company and contract access; a status change is pushed."""
    world = sim_world(request)
    app = _app(world, body.client_id)
    changed = world.enable_integrations(app, body.enabled, types=body.chosen_types())
    if not changed or app.organization is None:
        raise RestliError(409, "The application is not connected to an organization")
    request_id = f"urn:li:request:{uuid.uuid4()}"
    world.status_requests[request_id] = StatusRequest(request_id, changed)
    delivery = await notify_customer(
        world, http_client(request), app.organization, "INTEGRATION_STATUS_CHANGE", request_id
    )
    return {"requestId": request_id, "integrations": changed, "delivery": delivery.as_json()}


def _choose(world: World, contracts: list[str]) -> RestliError:
    """409: the plugin would ask the admin which contract(s) to integrate; nothing is connected."""
    return RestliError(
        409,
        "Several contracts qualify; choose with `contracts` (and `organization`)",
        extra={"contracts": [world.contract_view(c) for c in contracts]},
    )


def _plugin_target(world: World, body: ConnectIn, seats: list[Seat]) -> tuple[str, list[str]]:
    """The organization and contracts the plugin integrates, or 409 when the admin would have to choose."""
    held = list(dict.fromkeys(s.contract for s in seats if s.contract in world.contracts))
    organization = body.organization
    if organization is None and body.contracts:
        owners = {world.contracts.get(c) for c in body.contracts}
        if None in owners or len(owners) != 1:
            raise RestliError(422, "The contracts are not known contracts of one organization; name it")
        organization = owners.pop()
    if organization is None:
        organizations = list(dict.fromkeys(world.contracts[c] for c in held))
        if not organizations:
            raise RestliError(422, "The member holds no active Recruiter seat; name the organization")
        if len(organizations) > 1:
            raise _choose(world, held)
        organization = organizations[0]
    if not organization.startswith("urn:li:organization:"):
        raise RestliError(422, f"{organization} is not an organization URN")
    if body.contracts is not None:
        contracts = list(dict.fromkeys(body.contracts))
        for contract in contracts:
            owner = world.contracts.get(contract, organization)
            if not contract.startswith("urn:li:contract:") or owner != organization:
                raise RestliError(422, f"{contract} is not a contract of {organization}")
        return organization, contracts
    contracts = [c for c in held if world.contracts[c] == organization] or [
        c for c, owner in world.contracts.items() if owner == organization
    ]
    if len(contracts) > 1:
        raise _choose(world, contracts)
    return organization, contracts


def _plugin_integrations(organization: str, contracts: list[str]) -> list[dict[str, str]]:
    """What the widget hands to `onintegrate`: org-level types on the organization, CSA_API per contract."""
    pairs = [(organization, t) for t in ORG_TYPES] + [(c, t) for c in contracts for t in CONTRACT_TYPES]
    return [
        {"integrationContext": context, "integrationType": kind, "tenantType": "RECRUITER"}
        for context, kind in pairs
    ]


@router.post("/customers/connect")
async def connect(request: Request, body: ConnectIn) -> dict[str, Any]:
    """The customer's ATS Integration Configuration Plugin step: the child app now acts for this customer."""
    world = sim_world(request)
    app = _app(world, body.client_id)
    person = body.member.rsplit(":", 1)[-1] if body.member else world.authorize_member
    if person is not None and person not in world.members:
        raise RestliError(404, f"Member {person} not found")
    seats = world.active_seats(person) if person else []
    organization, contracts = _plugin_target(world, body, seats)
    other = world.app_for_organization(organization)
    if other is not None and other is not app:
        raise RestliError(409, f"{organization} is already connected to application {other.urn}")
    app.organization, app.contracts = organization, contracts
    world.organizations.add(organization)
    for contract in contracts:
        world.contracts[contract] = organization
        world.contract_types.setdefault(contract, DEFAULT_CONTRACT_KIND)
    roles = sorted({role for s in seats if s.contract in contracts for role in s.roles})
    return app.as_json() | {
        "organization": organization,
        "contracts": [world.contract_view(c) for c in contracts],
        "integrations": _plugin_integrations(organization, contracts),
        "member": {"id": person, "seatRoles": roles} if person else None,
    }


@router.post("/resync-jobs")
async def resync_jobs(request: Request, body: ResyncIn) -> dict[str, Any]:
    world = sim_world(request)
    app = _app(world, body.client_id)
    delivery = await notify_resync(
        world, http_client(request), app, body.external_job_posting_ids, body.sync_all_open_jobs
    )
    return {"delivery": delivery.as_json()}


@router.put("/partner/webhook")
async def partner_webhook(request: Request, body: WebhookIn) -> dict[str, Any]:
    world = sim_world(request)
    world.partner().job_webhook_url = body.url
    return {"url": body.url}


@router.put("/jobs/feed")
async def job_feed(request: Request, body: JobFeedIn) -> dict[str, Any]:
    """Whether LinkedIn still takes the customer's jobs from a feed or career site: job tasks that finish
    from now on end PROCESSED, with or without an error (docs/linkedin.md#jobs)."""
    world = sim_world(request)
    if body.feed:
        world.job_feeds.add(body.organization)
    else:
        world.job_feeds.discard(body.organization)
    return {"organizations": sorted(world.job_feeds)}


@router.post("/inmails")
async def inmail(request: Request, body: InMailIn) -> dict[str, Any]:
    event = recruiter.send_inmail(
        sim_world(request), body.seat, body.member.rsplit(":", 1)[-1], body.subject, body.body
    )
    return {"id": event.event_id, "thread": event.thread, "at": event.at}


@router.post("/inmails/{event_id}/reply")
async def inmail_reply(request: Request, event_id: str, body: ReplyIn) -> dict[str, Any]:
    answer, stub = recruiter.reply(
        sim_world(request), event_id, body.body, body.share_email, body.share_phone
    )
    return {"id": answer.event_id, "mailStub": stub.stub_id if stub else None}


@router.post("/prospect-notes")
async def prospect_note(request: Request, body: NoteIn) -> dict[str, Any]:
    note = recruiter.write_note(
        sim_world(request), body.seat, body.member.rsplit(":", 1)[-1], body.note, body.id
    )
    return {"id": note.note_id, "lastModified": note.last_modified}


@router.delete("/prospect-notes/{note_id}")
async def prospect_note_delete(request: Request, note_id: str) -> dict[str, Any]:
    note = recruiter.delete_note(sim_world(request), note_id)
    return {"id": note.note_id, "active": note.active}


@router.post("/members")
async def member_add(request: Request, body: MemberIn) -> dict[str, Any]:
    world = sim_world(request)
    member = Member(body.id, body.first_name, body.last_name, [body.email] if body.email else [], body.phone)
    world.members[member.person_id] = member
    return {"id": member.person_id, "urn": member.urn}


@router.post("/members/{person_id}/close")
async def member_close(request: Request, person_id: str) -> dict[str, Any]:
    member = sim_world(request).members.get(person_id)
    if member is None:
        raise RestliError(404, f"Member {person_id} not found")
    member.closed = True
    return {"id": person_id, "closed": True}


@router.put("/authorize-member")
async def authorize_member(request: Request, body: AuthorizeIn) -> dict[str, Any]:
    world = sim_world(request)
    world.authorize_member = body.member.rsplit(":", 1)[-1] if body.member else None
    return {"member": world.authorize_member}
