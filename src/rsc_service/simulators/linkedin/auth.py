"""OAuth 2.0 as LinkedIn runs it: client credentials for partner and child apps, 3-legged for members."""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import timedelta
from urllib.parse import parse_qsl, urlencode, urlsplit

from fastapi import APIRouter, Request
from starlette.responses import JSONResponse, RedirectResponse, Response

from .errors import OAuthError, RestliError
from .models import App, AuthCode, Token
from .world import World

router = APIRouter(prefix="/oauth/v2")

# LinkedIn's one answer for an unknown, used, expired or mismatched authorization code.
CODE_REFUSED = (
    "Unable to retrieve access token: appid/redirect uri/code verifier does not match authorization code. "
    "Or authorization code expired. Or external member binding exists"
)


@dataclass(frozen=True)
class Caller:
    """Who sent an API call: the app behind the token, and the member for 3-legged tokens."""

    app: App
    member: str | None


def _world(request: Request) -> World:
    world: World = request.app.state.world
    return world


def _issue(world: World, app: App, member: str | None = None) -> Token:
    token = Token(
        "AQV" + secrets.token_urlsafe(32),
        app.client_id,
        world.now() + timedelta(seconds=world.config.token_lifetime_seconds),
        member,
    )
    world.tokens[token.value] = token
    return token


def _client(world: World, client_id: str | None, client_secret: str | None) -> App:
    app = world.apps.get(client_id or "")
    if app is None or not secrets.compare_digest(app.client_secret, client_secret or ""):
        raise OAuthError(401, "invalid_client", "Client authentication failed")
    return app


@router.post("/accessToken")
async def access_token(request: Request) -> Response:
    world = _world(request)
    # LinkedIn's own collection sends the form with a stray text/plain content type, so parse the raw body.
    form = dict(parse_qsl((await request.body()).decode("utf-8"), keep_blank_values=True))
    form |= {k: v for k, v in request.query_params.items() if k not in form}
    grant = form.get("grant_type")
    try:
        app = _client(world, form.get("client_id"), form.get("client_secret"))
        member: str | None = None
        if grant == "authorization_code":
            # A code is single use: it is gone once presented, whether the exchange succeeds or not.
            code = world.codes.pop(form.get("code", ""), None)
            redirect_uri = form.get("redirect_uri")
            if (
                code is None
                or code.client_id != app.client_id
                or code.expires_at < world.now()
                or (redirect_uri and redirect_uri != code.redirect_uri)
            ):
                raise OAuthError(400, "invalid_request", CODE_REFUSED)
            member = code.member
        elif grant != "client_credentials":
            raise OAuthError(400, "unsupported_grant_type", f"Grant type {grant} is not supported")
    except OAuthError as exc:
        return exc.response()
    token = _issue(world, app, member)
    body: dict[str, object] = {"access_token": token.value, "expires_in": world.config.token_lifetime_seconds}
    if member:
        body["scope"] = "r_liteprofile"
    return JSONResponse(body)


def _redirect_problem(world: World, app: App, redirect_uri: str) -> str | None:
    """Why LinkedIn's authorize page would refuse `redirect_uri` (an error page, no redirect), or None.

    An app with registered `oauth2AuthorizedCallbackUrls` takes only those; one with none (the partner app
    as seeded) takes any absolute https URL, or http when `allow_insecure_local` is set."""
    if not redirect_uri:
        return "Missing required parameter: redirect_uri"
    if app.callback_urls:
        if redirect_uri not in app.callback_urls:
            return "The redirect_uri does not match the registered value"
        return None
    parts = urlsplit(redirect_uri)
    schemes = ("https", "http") if world.config.allow_insecure_local else ("https",)
    if parts.scheme not in schemes or not parts.netloc or "#" in redirect_uri:
        return "The redirect_uri must be an absolute https URL without a fragment"
    return None


@router.get("/authorization")
async def authorization(request: Request) -> Response:
    """The authorize page; it auto-approves the configured member and redirects with a code."""
    world = _world(request)
    params = request.query_params
    app = world.apps.get(params.get("client_id", ""))
    redirect_uri = params.get("redirect_uri", "")
    if app is None:
        return OAuthError(400, "invalid_request", "Invalid client_id").response()
    problem = _redirect_problem(world, app, redirect_uri)
    if problem:
        return OAuthError(400, "invalid_request", problem).response()
    if world.authorize_member is None:
        query = {
            "error": "user_cancelled_authorize",
            "error_description": "The user cancelled the authorization",
        }
    else:
        code = AuthCode(
            secrets.token_urlsafe(24),
            app.client_id,
            redirect_uri,
            world.authorize_member,
            world.now() + timedelta(seconds=world.config.authorization_code_lifetime_seconds),
        )
        world.codes[code.code] = code
        query = {"code": code.code}
    if params.get("state"):
        query["state"] = params["state"]
    separator = "&" if "?" in redirect_uri else "?"
    return RedirectResponse(redirect_uri + separator + urlencode(query), status_code=302)


def authenticate(world: World, authorization: str | None) -> Caller:
    """The caller behind an `Authorization` header, or LinkedIn's 401."""
    if not authorization or not authorization.strip():
        raise RestliError(401, "Empty oauth2_access_token")
    scheme, _, value = authorization.strip().partition(" ")
    if scheme.lower() != "bearer":
        raise RestliError(401, "Unknown authentication schema")
    token = world.tokens.get(value.strip())
    if token is None:
        raise RestliError(401, "Invalid access token", 65600)
    if token.expires_at <= world.now():
        raise RestliError(401, "The token used in the request has expired", 65602)
    app = world.apps.get(token.client_id)
    if app is None:
        raise RestliError(401, "The token used in the request has been revoked", 65601)
    return Caller(app, token.member)


def require_partner(world: World, caller: Caller, resource: str) -> None:
    if caller.app.kind != "partner" or caller.member is not None:
        raise RestliError(
            world.config.cross_token_status, f"Not enough permissions to access: {resource}", 100
        )


def require_child(world: World, caller: Caller, resource: str) -> None:
    if caller.app.kind != "child" or caller.member is not None:
        raise RestliError(
            world.config.cross_token_status, f"Not enough permissions to access: {resource}", 100
        )
