"""Kick-off and status of a customer's setup (PRODUCT A1-A3, A7; docs/onboarding.md).

Each step checks the tenant's stage first and changes nothing it has not finished: a refused requirement,
a denied sign-in or a LinkedIn refusal leaves the tenant as it was. Functions flush, never commit.
"""

from __future__ import annotations

import hashlib
import re
import secrets
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

import structlog
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from rsc_service.context import AppContext
from rsc_service.errors import BadGateway, BadRequest, Conflict, FieldProblem, Forbidden, ServiceUnavailable
from rsc_service.integrations import ats as ats_api
from rsc_service.integrations.linkedin import (
    AppCredentials,
    LinkedInApp,
    LinkedInClient,
    LinkedInError,
    Rejected,
    wire,
)
from rsc_service.integrations.linkedin.member_sign_in import SignInRefused
from rsc_service.integrations.linkedin.wire_keys import IntegrationKey, IntegrationType
from rsc_service.mirror import service as mirror_service
from rsc_service.onboarding import deactivation, requirements
from rsc_service.push import service as push_service
from rsc_service.push.fields import truncate_utf16
from rsc_service.tenants import ats as tenant_ats
from rsc_service.tenants import in_ats_credential, lifecycle
from rsc_service.tenants import service as tenant_service
from rsc_service.tenants.models import OAuthState, Stage, Tenant, TenantContract

log = structlog.get_logger()

COMPANY_TYPES = (
    IntegrationType.IN_ATS_INDICATOR,
    IntegrationType.ONE_CLICK_EXPORT,
    IntegrationType.PROFILE_PLUGIN,
)
ALL_PRODUCT_USERS = "ALL_PRODUCT_USERS"
SIGN_IN_CALLBACK = "/v1/linkedin/oauth/callback"


class SignInExpired(BadRequest):
    code = "sign_in_expired"


class ConsentDenied(Forbidden):
    code = "consent_denied"


class WrongStage(Conflict):
    code = "wrong_stage"


# ---- step 1: the ATS admin activates ----


async def start_activation(
    session: AsyncSession, ctx: AppContext, tenant: Tenant, *, ats_user_id: str
) -> str:
    """Check the ATS side of the requirements and answer LinkedIn's sign-in URL for this tenant and user."""
    now = ctx.clock()
    if tenant.stage is Stage.DEACTIVATED:  # a returning customer starts again, once the last one is done
        deactivation.ensure_deactivation_finished(tenant)
        lifecycle.advance(
            session,
            tenant,
            Stage.REQUESTED,
            actor=lifecycle.Actor.ats_user(ats_user_id),
            reason="activated again",
            now=now,
        )
    _expect(tenant, Stage.REQUESTED, "activation")
    account, side = await _ats_side(ctx, tenant, ats_user_id)
    requirements.check(requirements.ats_problems(side))
    linkedin, partner = _partner(ctx)
    tenant.ats_web_url = account.web_url
    state = secrets.token_urlsafe(32)
    session.add(
        OAuthState(
            state_hash=_hash(state),
            tenant_id=tenant.id,
            ats_user_id=ats_user_id,
            created_at=now,
            expires_at=now + timedelta(minutes=ctx.settings.onboarding.sign_in_minutes),
        )
    )
    await session.flush()
    return linkedin.sign_in.authorization_url(partner, redirect_uri=sign_in_callback(ctx), state=state)


async def finish_sign_in(
    session: AsyncSession, ctx: AppContext, *, state: str | None, code: str | None, error: str | None
) -> str:
    """LinkedIn's redirect after the member signed in: provision the customer's child application and answer
    the ATS page the admin goes back to (where LinkedIn's configuration plugin asks for the contract)."""
    now = ctx.clock()
    found = await session.get(OAuthState, _hash(state)) if state else None
    if found is None or found.used_at is not None or found.expires_at <= now:
        raise SignInExpired("this LinkedIn sign-in is unknown, used or expired: start the activation again")
    found.used_at = now
    tenant = await tenant_service.get(session, found.tenant_id)
    _expect(tenant, Stage.REQUESTED, "sign-in")
    if error or not code:
        raise ConsentDenied(f"LinkedIn did not grant the sign-in ({error or 'no code'}): nothing was changed")
    linkedin, partner = _partner(ctx)
    try:
        token = await linkedin.sign_in.exchange_code(partner, code=code, redirect_uri=sign_in_callback(ctx))
        member = await linkedin.sign_in.member(token)
    except SignInRefused as refused:
        raise BadRequest(f"LinkedIn refused the sign-in code: {refused.message}") from None
    except LinkedInError as failed:
        raise BadGateway(f"LinkedIn's sign-in failed: {failed.message}") from None
    await _provision(ctx, tenant, linkedin.for_app(partner))
    await tenant_service.refuse_app_taken(session, tenant)
    tenant.activated_by_user_id = found.ats_user_id
    tenant.activated_by_member = member.urn
    await session.flush()
    log.info("onboarding.signed_in", tenant_key=tenant.key)
    return f"{tenant.ats_web_url}{ctx.settings.onboarding.return_path}"


async def _provision(ctx: AppContext, tenant: Tenant, partner: LinkedInApp) -> None:
    """The customer's child application, created once (`uniqueForeignId` = the tenant key, RSC-103) and kept
    pointing at the ATS's web origin (RSC-105) and our sign-in callback."""
    domains, callbacks = [tenant.ats_web_url or ""], [sign_in_callback(ctx)]
    try:
        found = await partner.find_provisioned_application(tenant.key)
        if found is None:
            found = await _create_child(ctx, tenant, partner, domains, callbacks)
        elif found.key:
            await partner.update_provisioned_application(
                found.key, valid_js_sdk_domains=domains, oauth2_authorized_callback_urls=callbacks
            )
    except LinkedInError as failed:
        raise BadGateway(
            f"LinkedIn refused to provision the customer's application: {failed.message}"
        ) from None
    if found.credentials is None or not found.key:
        raise BadGateway("LinkedIn's provisioning answer named no credentials")
    sealed = str(tenant.id)
    tenant.linkedin_client_id = found.credentials.client_id
    tenant.linkedin_client_secret_enc = ctx.cipher.encrypt(
        found.credentials.client_secret, tenant_id=sealed, column="linkedin_client_secret"
    )
    tenant.linkedin_app_urn = found.key
    tenant.linkedin_unique_foreign_id = tenant.key
    in_ats_credential.ensure(tenant, cipher=ctx.cipher)  # for LinkedIn's side (docs/in-ats.md)


async def _create_child(
    ctx: AppContext, tenant: Tenant, partner: LinkedInApp, domains: list[str], callbacks: list[str]
) -> wire.ProvisionedApplication:
    create = wire.ProvisionedApplicationCreate(
        name=app_name(ctx.settings.onboarding.product_name, tenant.name),
        unique_foreign_id=tenant.key,
        description=f"Recruiter System Connect for {tenant.name}"[:200],
        valid_js_sdk_domains=domains,
        oauth2_authorized_callback_urls=callbacks,
    )
    try:
        created = await partner.provision_application(create)
    except Rejected as refused:
        if refused.status != 409:  # 409: created by an earlier attempt whose answer was lost
            raise
        created = None
    if created is None or created.credentials is None:
        created = await partner.find_provisioned_application(tenant.key)
    if created is None:
        raise BadGateway("LinkedIn did not find the application it just provisioned")
    return created


_LINKEDIN = re.compile("linkedin", re.IGNORECASE)


def app_name(product: str, customer: str) -> str:
    """LinkedIn's rule for a provisioned application's name: at most 50 characters (UTF-16 code units, as
    LinkedIn counts), without "LinkedIn" in any case; removed until none is left, so "LinkedLinkedInIn" does
    not become "LinkedIn" (docs/linkedin.md#provisioning)."""
    name = f"{product} - {customer}"
    while _LINKEDIN.search(name):
        name = _LINKEDIN.sub("", name)
    return truncate_utf16(" ".join(name.split()), 50).rstrip()


# ---- step 1, end: the configuration plugin's integration request ----


@dataclass(frozen=True)
class RequestedIntegration:
    integration_context: str
    integration_type: IntegrationType


@dataclass(frozen=True)
class IntegrationRequest:
    ats_user_id: str
    member_id: str
    seat_roles: Sequence[str]
    contracts: Sequence[tuple[str, str]]  # (URN, type)
    integrations: Sequence[RequestedIntegration]


async def request_integrations(
    session: AsyncSession, ctx: AppContext, tenant: Tenant, request: IntegrationRequest
) -> None:
    """Check every requirement, then name the integrations, write the callback URL and the viewers
    configuration at LinkedIn (RSC-101, RSC-104); the tenant becomes `partner_ready`."""
    now = ctx.clock()
    # The plugin's answer posted twice at once (a double click, two admins): the second waits here and sees
    # the stage the first one left. Locked before anything is added to the session, so no autoflush writes
    # ahead of the lock.
    await _lock(session, tenant)
    _expect(tenant, Stage.REQUESTED, "the integration request")
    if tenant.activated_by_member is None or tenant.linkedin_client_id is None:
        raise WrongStage("sign in with LinkedIn first: POST /v1/integration/activation")
    problems: list[FieldProblem] = []
    if f"urn:li:person:{request.member_id.removeprefix('urn:li:person:')}" != tenant.activated_by_member:
        problems.append(
            FieldProblem(
                field="body.member.id", reason="is not the LinkedIn member who signed in for this tenant"
            )
        )
    _, side = await _ats_side(ctx, tenant, request.ats_user_id)
    problems += requirements.ats_problems(side)
    problems += requirements.linkedin_problems(
        requirements.LinkedInSide(contracts=request.contracts, seat_roles=request.seat_roles)
    )
    organization, contracts = _contexts(request, problems)
    requirements.check(problems)
    app = _child(ctx, tenant)
    keys = _keys(request.integrations)
    try:
        await _name(ctx, tenant, app, keys)
        configured = await app.put_configurations(
            IntegrationKey(
                integration_context=organization, integration_type=IntegrationType.ONE_CLICK_EXPORT
            ),
            {
                wire.ConfigurationName.CALLBACK_URL: notifications_url(ctx, tenant.key),
                wire.ConfigurationName.JOB_POSTING_VIEWERS: ALL_PRODUCT_USERS,
            },
        )
        _all_ok(configured.errors, "write the callback URL and job viewers")
        configured = await app.put_configurations(
            IntegrationKey(
                integration_context=organization, integration_type=IntegrationType.IN_ATS_INDICATOR
            ),
            {wire.ConfigurationName.APPLICATION_VIEWERS: ALL_PRODUCT_USERS},
        )
        _all_ok(configured.errors, "write the application viewers")
    except LinkedInError as failed:
        raise BadGateway(f"LinkedIn refused the integration request: {failed.message}") from None
    tenant.linkedin_organization_urn = organization
    await _requested(
        session, tenant, keys, contracts, actor=lifecycle.Actor.ats_user(request.ats_user_id), now=now
    )
    lifecycle.advance(
        session,
        tenant,
        Stage.PARTNER_READY,
        actor=lifecycle.Actor.ats_user(request.ats_user_id),
        reason=f"integrations requested for {organization} and {', '.join(contracts) or 'no contract'}",
        now=now,
    )
    await session.flush()


async def add_contracts(
    session: AsyncSession, ctx: AppContext, tenant: Tenant, request: IntegrationRequest
) -> list[str]:
    """A6: a contract connected after setup (the plugin run again on it) gets its contract-level
    integration named and requested; a Recruiter admin then enables its Contract level access.
    Returns the contracts added."""
    # The same contract posted twice at once: the second waits here and sees what the first one left.
    await _lock(session, tenant)
    if tenant.stage not in (Stage.PARTNER_READY, Stage.ENABLED, Stage.INITIAL_SYNC, Stage.ACTIVE):
        raise WrongStage(
            f"contracts are added once the integration is requested; the tenant is {tenant.stage.value!r}"
        )
    known = {c.contract_urn for c in tenant.contracts}
    # A contract named twice is added once (each is a row of tenant_contracts).
    contracts = list(dict.fromkeys(urn for urn, _ in request.contracts if urn not in known))
    if not contracts:
        raise Conflict("every contract of this request is connected already")
    problems: list[FieldProblem] = []
    _, side = await _ats_side(ctx, tenant, request.ats_user_id)
    problems += requirements.ats_problems(side)
    problems += requirements.linkedin_problems(
        requirements.LinkedInSide(contracts=request.contracts, seat_roles=request.seat_roles)
    )
    organizations = {
        i.integration_context for i in request.integrations if i.integration_type in COMPANY_TYPES
    }
    if organizations - {tenant.linkedin_organization_urn}:
        problems.append(
            FieldProblem(field="body.integrations", reason="names another organization than the tenant's")
        )
    requirements.check(problems)
    keys = [
        IntegrationKey(integration_context=urn, integration_type=IntegrationType.CSA_API) for urn in contracts
    ]
    try:
        await _name(ctx, tenant, _child(ctx, tenant), keys)
    except LinkedInError as failed:
        raise BadGateway(f"LinkedIn refused the contract's integration: {failed.message}") from None
    await _requested(
        session, tenant, keys, contracts, actor=lifecycle.Actor.ats_user(request.ats_user_id), now=ctx.clock()
    )
    await session.flush()
    return contracts


async def _lock(session: AsyncSession, tenant: Tenant) -> None:
    """Lock the tenant's row until the transaction ends, and read its stage and contracts as committed now:
    of two requests connecting contracts at once, the second sees the stage and the contracts the first one
    left (PostgreSQL; SQLite has one writer anyway)."""
    await tenant_service.lock_stage(session, tenant)
    await session.refresh(tenant, ["contracts"])


def _child(ctx: AppContext, tenant: Tenant) -> LinkedInApp:
    if tenant.linkedin_client_id is None:
        raise WrongStage("the tenant has no LinkedIn application yet: sign in with LinkedIn first")
    secret = tenant_service.linkedin_client_secret(tenant, cipher=ctx.cipher)
    return ctx_linkedin(ctx).for_app(AppCredentials(tenant.linkedin_client_id, secret))


def _keys(integrations: Sequence[RequestedIntegration]) -> list[IntegrationKey]:
    """The integrations asked for, each once however often the request names it."""
    return list(
        dict.fromkeys(
            IntegrationKey(integration_context=i.integration_context, integration_type=i.integration_type)
            for i in integrations
        )
    )


async def _name(ctx: AppContext, tenant: Tenant, app: LinkedInApp, keys: Sequence[IntegrationKey]) -> None:
    named = await app.name_integrations(
        dict.fromkeys(keys, integration_name(ctx.settings.onboarding.product_name, tenant.name))
    )
    _all_ok(named.errors, "name the integrations")


async def _requested(
    session: AsyncSession,
    tenant: Tenant,
    keys: Sequence[IntegrationKey],
    contracts: Sequence[str],
    *,
    actor: lifecycle.Actor,
    now: datetime,
) -> None:
    """Connect the contracts and record each integration as requested, waiting for a Recruiter admin; a
    contract or integration named twice is stored once."""
    known = {c.contract_urn for c in tenant.contracts}
    added = [TenantContract(contract_urn=urn) for urn in dict.fromkeys(contracts) if urn not in known]
    tenant.contracts.extend(added)
    if added:
        try:
            async with session.begin_nested():
                await session.flush()
        except IntegrityError as error:
            # Callers hold the tenant's lock; a contract connected meanwhile without it (an operator's
            # change of the tenant) is the request's conflict, not a crash.
            if not _contract_taken(error):
                raise
            raise Conflict(
                "a contract of this request was connected meanwhile: reload and try again"
            ) from None
    statuses = [
        tenant_service.IntegrationStatus(
            k.integration_context, k.integration_type.value, tenant_service.REQUESTED
        )
        for k in dict.fromkeys(keys)
    ]
    await tenant_service.record_integration_status(session, tenant, statuses, actor=actor, now=now)


def _contract_taken(error: IntegrityError) -> bool:
    """Whether the refused insert is a contract the tenant already has (tenant_contracts' unique constraint,
    as PostgreSQL and SQLite name it)."""
    message = str(error.orig)
    return (
        "uq_tenant_contracts_tenant_id_contract_urn" in message or "tenant_contracts.contract_urn" in message
    )


def _contexts(request: IntegrationRequest, problems: list[FieldProblem]) -> tuple[str, list[str]]:
    organizations = {
        i.integration_context
        for i in request.integrations
        if i.integration_type is not IntegrationType.CSA_API
    }
    company = {i.integration_type for i in request.integrations if i.integration_type in COMPANY_TYPES}
    if len(organizations) != 1 or not all(o.startswith("urn:li:organization:") for o in organizations):
        problems.append(
            FieldProblem(
                field="body.integrations",
                reason="must name exactly one organization for the company-level types",
            )
        )
    elif company != set(COMPANY_TYPES):
        missing = ", ".join(sorted(t.value for t in set(COMPANY_TYPES) - company))
        problems.append(FieldProblem(field="body.integrations", reason=f"lacks the company-level {missing}"))
    chosen = list(dict.fromkeys(urn for urn, _ in request.contracts))  # a contract named twice counts once
    csa = {
        i.integration_context for i in request.integrations if i.integration_type is IntegrationType.CSA_API
    }
    if csa != set(chosen):
        problems.append(
            FieldProblem(
                field="body.integrations", reason="CSA_API must be requested for exactly the chosen contracts"
            )
        )
    return (next(iter(organizations)) if organizations else ""), chosen


def _all_ok(errors: object, what: str) -> None:
    if errors:
        raise BadGateway(f"LinkedIn refused to {what}: {errors}")


def integration_name(product: str, customer: str) -> str:
    """What a Recruiter admin sees, and enables, in Admin settings → ATS (RSC-101)."""
    return f"{product} for {customer}"[:100]


# ---- P9: public or private jobs (RSC-102) ----


async def set_job_availability(
    session: AsyncSession, ctx: AppContext, tenant: Tenant, availability: str
) -> int:
    """Store the customer's choice and owe LinkedIn every job again with it; returns the jobs re-owed."""
    if tenant.job_availability == availability:
        return 0
    tenant.job_availability = availability
    await session.flush()
    if tenant.linkedin_organization_urn is None:  # nothing pushed yet: the initial sync sends the choice
        return 0
    jobs = await mirror_service.list_records(session, tenant_id=tenant.id, kind="job")
    keys = [("job", job.ats_id) for job in jobs if not job.deleted]
    return len(await push_service.owe_records(session, tenant=tenant, keys=keys, now=ctx.clock()))


# ---- status (A3, A7) ----


@dataclass(frozen=True)
class Feature:
    name: str
    level: str  # "company" or "contract"
    integration_type: IntegrationType


FEATURES = (
    Feature("sync_to_recruiter", "company", IntegrationType.IN_ATS_INDICATOR),
    Feature("in_ats_indicator", "company", IntegrationType.IN_ATS_INDICATOR),
    Feature("one_click_export", "company", IntegrationType.ONE_CLICK_EXPORT),
    Feature("profile_widget", "company", IntegrationType.PROFILE_PLUGIN),
    Feature("recruiter_notes_and_inmails", "contract", IntegrationType.CSA_API),
    Feature("inmail_reply_candidates", "contract", IntegrationType.CSA_API),
    Feature("seats", "contract", IntegrationType.CSA_API),
)

NEXT_ACTOR = {
    Stage.REQUESTED: (
        "ats_admin",
        "sign in with LinkedIn and request the integration from the integrations page",
    ),
    Stage.PARTNER_READY: (
        "linkedin_admin",
        "enable Contract level and Company level access in LinkedIn Recruiter: Admin settings, ATS tab",
    ),
    Stage.ENABLED: ("service", "start the initial sync"),
    Stage.INITIAL_SYNC: ("service", "finish the initial sync"),
}


@dataclass(frozen=True)
class FeatureState:
    name: str
    level: str
    active: bool
    reason: str | None


@dataclass(frozen=True)
class Status:
    stage: Stage
    stage_changed_at: datetime | None
    stalled: bool
    waiting_for: str | None
    next_step: str | None
    js_sdk_api_key: str | None
    integrations: list[tuple[str, str, str]]  # (context, type, status)
    features: list[FeatureState]


async def status(session: AsyncSession, ctx: AppContext, tenant: Tenant) -> Status:
    now = ctx.clock()
    stored = await tenant_service.list_integrations(session, tenant_id=tenant.id)
    enabled = {
        (i.integration_context, i.integration_type) for i in stored if i.status == tenant_service.ENABLED
    }
    features = []
    for feature in FEATURES:
        if feature.level == "company":
            contexts = [tenant.linkedin_organization_urn] if tenant.linkedin_organization_urn else []
        else:
            contexts = [c.contract_urn for c in tenant.contracts]
        on = [c for c in contexts if (c, feature.integration_type.value) in enabled]
        reason = None
        if not on:
            reason = f"{feature.level}-level access is off" if contexts else "not requested yet"
        features.append(FeatureState(feature.name, feature.level, bool(on), reason))
    waiting = NEXT_ACTOR.get(tenant.stage)
    since = tenant.stage_changed_at
    stalled = bool(
        waiting
        and since is not None
        and now - since >= timedelta(minutes=ctx.settings.onboarding.stall_minutes)
    )
    return Status(
        stage=tenant.stage,
        stage_changed_at=since,
        stalled=stalled,
        waiting_for=waiting[0] if waiting else None,
        next_step=waiting[1] if waiting else None,
        js_sdk_api_key=tenant.linkedin_client_id,
        integrations=[(i.integration_context, i.integration_type, i.status) for i in stored],
        features=features,
    )


# ---- helpers ----


def sign_in_callback(ctx: AppContext) -> str:
    return ctx.settings.server.public_url.rstrip("/") + SIGN_IN_CALLBACK


def notifications_url(ctx: AppContext, tenant_key: str) -> str:
    return f"{ctx.settings.server.public_url.rstrip('/')}/v1/linkedin/notifications/{tenant_key}"


def ctx_linkedin(ctx: AppContext) -> LinkedInClient:
    if ctx.linkedin is None:
        raise ServiceUnavailable(
            "LinkedIn is not configured: set RSC_LINKEDIN__API_URL and RSC_LINKEDIN__OAUTH_URL"
        )
    return ctx.linkedin


def _partner(ctx: AppContext) -> tuple[LinkedInClient, AppCredentials]:
    linkedin = ctx_linkedin(ctx)
    settings = ctx.settings.onboarding
    if settings.partner_client_id is None or settings.partner_client_secret is None:
        raise ServiceUnavailable(
            "onboarding is off: set RSC_ONBOARDING__PARTNER_CLIENT_ID and "
            "RSC_ONBOARDING__PARTNER_CLIENT_SECRET"
        )
    return linkedin, AppCredentials(
        settings.partner_client_id, settings.partner_client_secret.get_secret_value()
    )


async def _ats_side(
    ctx: AppContext, tenant: Tenant, user_id: str
) -> tuple[ats_api.wire.Account, requirements.AtsSide]:
    client = await tenant_ats.ats_client(ctx, tenant)
    try:
        account = await client.get_account()
        try:
            user: ats_api.wire.User | None = await client.get_user(user_id)
        except ats_api.AtsNotFound:
            user = None
    except ats_api.AtsError as failed:
        raise tenant_ats.failed(
            failed, f"the ATS API did not answer what activation needs: {failed}"
        ) from None
    return account, requirements.AtsSide(
        plan=account.plan,
        user_id=user_id,
        access_level=user.access_level if user else None,
        user_active=bool(user and user.active),
    )


def _expect(tenant: Tenant, stage: Stage, step: str) -> None:
    if tenant.stage is not stage:
        raise WrongStage(f"{step} needs the tenant in stage {stage.value!r}; it is {tenant.stage.value!r}")


def _hash(state: str) -> str:
    return hashlib.sha256(state.encode()).hexdigest()
