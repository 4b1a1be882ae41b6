"""The page an ATS user sees: a candidate's LinkedIn tab, with LinkedIn's profile widget embedded as the
service's LinkedIn tab route describes it (docs/in-ats.md#pages-a-person-sees).

The browser talks to this fake ATS only. Its reads and the widget's onlink/onunlink callbacks go to small
routes here, which call the service with the tenant's API key, as an ATS's own backend would: the key never
reaches the browser, and the service needs no cross-origin allowance. `PUT /_sim/pages` says where the
service is, which API key to use, and where LinkedIn's JS SDK is served from (the LinkedIn simulator in
place of platform.linkedin.com).
"""

from __future__ import annotations

import html
import json
import re
from typing import Annotated
from urllib.parse import quote

import httpx
from fastapi import APIRouter, Body, Path, Query, Request
from fastapi.responses import HTMLResponse, Response
from pydantic import BaseModel, Field

from rsc_service.simulators.ats.problems import AtsProblem
from rsc_service.simulators.ats.world import RecordNotFound, World

router = APIRouter(tags=["pages"])

CandidateId = Annotated[str, Path(min_length=1, max_length=200, pattern=r"^[A-Za-z0-9_-]+$")]
UserId = Annotated[str, Query(min_length=1, max_length=200, pattern=r"^[A-Za-z0-9_-]+$")]


class PagesTarget(BaseModel):
    service_url: str = Field(pattern=r"^https?://[^\s]+$", description="The service's base URL")
    api_key: str = Field(min_length=1, description="The tenant's API key for the service")
    linkedin_url: str | None = Field(
        default=None,
        pattern=r"^https?://[^/\s]+$",
        description="Origin serving LinkedIn's JS SDK in place of the script's own (the LinkedIn simulator)",
    )


@router.put("/_sim/pages", tags=["simulator control"], status_code=204)
async def set_pages_target(target: PagesTarget, request: Request) -> Response:
    request.app.state.pages_target = target
    return Response(status_code=204)


def _target(request: Request) -> PagesTarget:
    target: PagesTarget | None = getattr(request.app.state, "pages_target", None)
    if target is None:
        raise AtsProblem(409, "pages_not_configured", "No service configured for the pages (PUT /_sim/pages)")
    return target


async def _call(
    request: Request,
    method: str,
    path: str,
    *,
    params: dict[str, str] | None = None,
    body: dict[str, str] | None = None,
) -> Response:
    """One call to the service with the tenant's API key; its status and body go back as they are."""
    target = _target(request)
    async with httpx.AsyncClient(base_url=target.service_url.rstrip("/"), timeout=15) as http:
        answer = await http.request(
            method, path, params=params, json=body, headers={"Authorization": f"Bearer {target.api_key}"}
        )
    return Response(answer.content, answer.status_code, media_type=answer.headers.get("content-type"))


@router.get("/ui/candidates/{candidate_id}/linkedin", response_class=HTMLResponse)
async def linkedin_tab_page(candidate_id: CandidateId, user: UserId, request: Request) -> str:
    """The candidate's LinkedIn tab as the ATS user `user` sees it."""
    world: World = request.app.state.world
    try:
        candidate = world.get("candidate", candidate_id)
    except RecordNotFound:
        raise AtsProblem(404, "not_found", f"candidate {candidate_id} not found") from None
    name = f"{candidate.get('first_name') or ''} {candidate.get('last_name') or ''}".strip()
    page = {
        "candidate": candidate_id,
        "user": user,
        "linkedinUrl": _target(request).linkedin_url,
    }
    values = {"__NAME__": html.escape(name), "__PAGE__": json.dumps(page).replace("</", "<\\/")}
    return re.sub("__NAME__|__PAGE__", lambda found: values[found.group()], _PAGE)  # one pass


@router.get("/ui/candidates/{candidate_id}/linkedin/tab")
async def tab(candidate_id: CandidateId, user: UserId, request: Request) -> Response:
    return await _call(
        request,
        "GET",
        f"/v1/integration/candidates/{quote(candidate_id)}/linkedin-tab",
        params={"ats_user_id": user},
    )


class LinkBody(BaseModel):
    member_urn: str = Field(min_length=1, max_length=200)


@router.put("/ui/candidates/{candidate_id}/linkedin/link")
async def link(
    candidate_id: CandidateId, user: UserId, body: Annotated[LinkBody, Body()], request: Request
) -> Response:
    """The widget's onlink: the user linked the candidate to this member."""
    return await _call(
        request,
        "PUT",
        f"/v1/integration/candidates/{quote(candidate_id)}/link",
        body={"member_urn": body.member_urn, "ats_user_id": user},
    )


@router.delete("/ui/candidates/{candidate_id}/linkedin/link")
async def unlink(candidate_id: CandidateId, user: UserId, request: Request) -> Response:
    """The widget's onunlink."""
    return await _call(
        request,
        "DELETE",
        f"/v1/integration/candidates/{quote(candidate_id)}/link",
        params={"ats_user_id": user},
    )


_PAGE = """<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>__NAME__ | LinkedIn</title></head>
<body>
<h1 id="candidate-name">__NAME__</h1>
<nav><span>Profile</span> · <strong>LinkedIn</strong></nav>
<p id="link-status" data-state="loading">Loading…</p>
<section id="seat" hidden>
  <h2>Your LinkedIn Recruiter seat</h2>
  <p id="seat-holder"></p>
  <ul id="seat-actions"></ul>
</section>
<div id="widget-slot"></div>
<p id="error" hidden></p>
<script>
var page = __PAGE__;
var base = "/ui/candidates/" + encodeURIComponent(page.candidate) + "/linkedin";
var query = "?user=" + encodeURIComponent(page.user);
function showLink(member, source) {
  var status = document.getElementById("link-status");
  status.dataset.state = member ? "linked" : "unlinked";
  status.dataset.member = member || "";
  status.textContent = member ? "Linked to LinkedIn member " + member + " (" + source + ")"
                              : "Not linked to a LinkedIn profile";
}
// What a seat holder can do beside the profile, as the tab route names it (docs/in-ats.md#the-linkedin-tab).
var actionLabels = {
  open_in_recruiter: "Open in Recruiter",
  add_to_project: "Add to project",
  send_inmail: "Send InMail",
  add_note: "Add note"
};
function showSeat(holder) {
  document.getElementById("seat-holder").textContent = "You hold Recruiter seat " + holder.seat_urn
    + " as " + holder.member_urn + ": LinkedIn shows you the full profile.";
  var list = document.getElementById("seat-actions");
  holder.actions.forEach(function (action) {
    var item = document.createElement("li");
    item.className = "seat-action";
    item.dataset.action = action;
    item.textContent = actionLabels[action] || action;
    list.appendChild(item);
  });
  document.getElementById("seat").hidden = false;
}
function fail(text) {
  var error = document.getElementById("error");
  error.hidden = false;
  error.textContent = text;
}
async function send(method, body) {
  var answer = await fetch(base + "/link" + query, {
    method: method,
    headers: body ? {"Content-Type": "application/json"} : {},
    body: body ? JSON.stringify(body) : undefined
  });
  var read = await answer.json();
  if (!answer.ok) { fail("The link was not saved: " + (read.detail || answer.status)); return; }
  showLink(read.member_urn, read.source);
}
function sdkSrc(src) {
  if (!page.linkedinUrl) return src;
  var url = new URL(src);
  return page.linkedinUrl.replace(/\\/$/, "") + url.pathname + url.search;
}
async function load() {
  var answer = await fetch(base + "/tab" + query);
  var tab = await answer.json();
  if (!answer.ok) { fail("LinkedIn is not available here: " + (tab.detail || answer.status)); return; }
  showLink(tab.link.member_urn, tab.link.source);
  if (tab.seat_holder) showSeat(tab.seat_holder);
  var attributes = tab.widget.attributes;
  window[attributes["data-onlink"]] = function (member) { send("PUT", {member_urn: member}); };
  window[attributes["data-onunlink"]] = function () { send("DELETE"); };
  var slot = document.getElementById("widget-slot");
  var tag = document.createElement("script");
  tag.type = "IN/HcmWidget";
  Object.keys(attributes).forEach(function (k) { tag.setAttribute(k, attributes[k]); });
  slot.appendChild(tag);
  var sdk = document.createElement("script");
  sdk.src = sdkSrc(tab.widget.script_src);
  sdk.text = 'api_key: "' + tab.widget.api_key + '"\\nextensions: ' + tab.widget.extensions;
  slot.appendChild(sdk);
}
load();
</script>
</body></html>
"""
