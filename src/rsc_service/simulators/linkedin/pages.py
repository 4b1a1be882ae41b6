"""Pages a person sees on LinkedIn's side: a stand-in for the JS SDK and its profile widget, which an ATS
page embeds, and a Recruiter profile page showing the In-ATS indicator and preview.

The widget is LinkedIn's `IN/HcmWidget` as the sample embed uses it: `in.js` finds each `IN/HcmWidget`
script tag, puts an iframe served from here in its place, and calls the page's function named by
`data-onlink` / `data-onunlink` with the member's URN when the person links or unlinks in the iframe.
As LinkedIn's own, the widget renders only on a page whose origin is among the `validJsSdkDomains` of the
application named by the SDK's `api_key` (docs/linkedin.md, RSC-105); elsewhere the frame shows why it
refuses and offers nothing to link.

The Recruiter page reads the In-ATS routes of the partner's service the way LinkedIn's servers would: the
browser asks this simulator (same origin), which calls the service with the tenant's In-ATS credential, so
the credential never reaches the browser. `PUT /_sim/recruiter/in-ats` says where the service is.
"""

from __future__ import annotations

import html
import json
from typing import Annotated, Any
from urllib.parse import quote, urlsplit

import httpx
from fastapi import APIRouter, Path, Query, Request
from fastapi.responses import HTMLResponse, JSONResponse, Response
from pydantic import BaseModel, ConfigDict, Field

from .models import App
from .world import World

router = APIRouter(tags=["pages"])

MEMBER_URN = r"^urn:li:person:[A-Za-z0-9_-]+$"


class InAtsTarget(BaseModel):
    """Where the partner's In-ATS routes are, and the credential it handed LinkedIn for one tenant."""

    model_config = ConfigDict(populate_by_name=True)

    service_url: str = Field(alias="serviceUrl", pattern=r"^https?://[^\s]+$", description="Service base URL")
    tenant_key: str = Field(alias="tenantKey", min_length=1)
    credential: str = Field(min_length=1, description="The tenant's In-ATS credential")


def _world(request: Request) -> World:
    world: World = request.app.state.world
    return world


@router.put("/_sim/recruiter/in-ats", tags=["simulator control"], status_code=204)
async def set_in_ats_target(target: InAtsTarget, request: Request) -> Response:
    """Which service and tenant the Recruiter page reads (the partner's In-ATS registration)."""
    request.app.state.in_ats_target = target
    return Response(status_code=204)


@router.get("/_sim/recruiter/in-ats/members/{member_urn}/{what}", tags=["simulator control"])
async def in_ats_proxy(
    member_urn: Annotated[str, Path(pattern=MEMBER_URN)],
    what: Annotated[str, Path(pattern=r"^(indicator|preview)$")],
    request: Request,
) -> Response:
    """The Recruiter page's reads, forwarded to the service's In-ATS route; status and body as they are."""
    target: InAtsTarget | None = getattr(request.app.state, "in_ats_target", None)
    if target is None:
        return JSONResponse({"message": "no In-ATS service registered (PUT /_sim/recruiter/in-ats)"}, 409)
    url = (
        f"{target.service_url.rstrip('/')}/v1/in-ats/{quote(target.tenant_key, safe='')}"
        f"/members/{quote(member_urn, safe='')}/{what}"
    )
    http: httpx.AsyncClient = request.app.state.http
    answer = await http.get(url, headers={"Authorization": f"Bearer {target.credential}"}, timeout=15)
    return Response(answer.content, answer.status_code, media_type=answer.headers.get("content-type"))


@router.get("/recruiter/profile/{member_id}", response_class=HTMLResponse)
async def recruiter_profile(
    member_id: Annotated[str, Path(pattern=r"^[A-Za-z0-9_-]+$")], request: Request
) -> str:
    """A member's profile as a Recruiter user sees it, with the In-ATS indicator and the preview."""
    member = _world(request).members.get(member_id)
    name = f"{member.first_name} {member.last_name}" if member else member_id
    headline = member.headline if member else ""
    urn = json.dumps(f"urn:li:person:{member_id}")  # the path's pattern keeps it to [A-Za-z0-9_-]
    return _RECRUITER_PAGE.format(name=html.escape(name), headline=html.escape(headline), urn_json=urn)


@router.get("/xdoor/scripts/in.js")
async def sdk_script(request: Request) -> Response:
    """The JS SDK stand-in: renders every `IN/HcmWidget` tag as the widget's iframe (also on `IN.parse()`)."""
    return Response(_SDK_JS, media_type="text/javascript")


@router.get("/recruiter/widget/hcm", response_class=HTMLResponse)
async def hcm_widget(
    request: Request,
    candidate: Annotated[str, Query(min_length=1, max_length=200, alias="atsCandidateId")],
    context: Annotated[str, Query(min_length=1, max_length=200, alias="integrationContext")],
    parent_origin: Annotated[str, Query(alias="parentOrigin", pattern=r"^https?://[^/\s]+$")],
    api_key: Annotated[str, Query(alias="apiKey", max_length=200)] = "",
    show_unlink: Annotated[str, Query(alias="showUnlinkUrl")] = "true",
    confirm_unlink: Annotated[str, Query(alias="confirmUnlink")] = "true",
) -> Response:
    """The profile widget's frame: the member LinkedIn holds as this candidate (the ATS's manual link, else
    its email match), and LinkedIn's members to link the candidate to. 403 with LinkedIn's refusal, and
    nothing to link, when the embedding page's origin may not host the application's widgets."""
    world = _world(request)
    refusal = _refusal(world.apps.get(api_key), parent_origin, request.headers.get("referer"))
    if refusal is not None:
        return HTMLResponse(_refusal_page(*refusal), status_code=403)
    stored = world.record(
        "atsCandidates", atsCandidateId=candidate, dataProvider="ATS", integrationContext=context
    )
    linked = _linked_member(stored)
    members = [
        {"urn": m.urn, "name": f"{m.first_name} {m.last_name}", "headline": m.headline}
        for m in world.members.values()
        if not m.closed
    ]
    state = {
        "candidate": candidate,
        "context": context,
        "apiKey": api_key,
        "parentOrigin": parent_origin,
        "linked": linked,
        "members": members,
        "showUnlink": show_unlink == "true",
        "confirmUnlink": confirm_unlink == "true",
    }
    # `</` cannot close the script element from inside the JSON.
    return HTMLResponse(_WIDGET_PAGE.replace("__STATE__", json.dumps(state).replace("</", "<\\/")))


def _origin(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}".lower()


def _domain_allowed(origin: str, domains: list[str]) -> bool:
    """Whether `origin` (scheme://host[:port]) is one of an application's `validJsSdkDomains`: an entry
    with a scheme names an origin, one without names a host (and port) on any scheme."""
    origin = origin.lower()
    host = urlsplit(origin).netloc
    for domain in domains:
        entry = domain.strip().lower().rstrip("/")
        if entry and (entry == origin if "://" in entry else entry == host):
            return True
    return False


def _refusal(app: App | None, parent_origin: str, referer: str | None) -> tuple[str, str] | None:
    """Why the widget will not render for this page (a code and what the person reads), or None.

    The page's origin is the `parentOrigin` the SDK read from `window.location`; the frame's request
    names its embedding page in `Referer` too, and the two must agree. The callbacks are posted to
    `parentOrigin` only, so a page claiming another origin would not hear them anyway."""
    if app is None or app.kind != "child":
        return "unknown_api_key", "The LinkedIn widget could not load: its api_key names no application."
    if referer and _origin(referer) != parent_origin.lower():
        return "origin_mismatch", "The LinkedIn widget could not load: the page is not where it says it is."
    if not _domain_allowed(parent_origin, app.js_domains):
        return (
            "domain_not_allowed",
            f"This domain is not allowed to show LinkedIn's profile widget: {parent_origin} is not one of "
            "the application's JavaScript SDK domains.",
        )
    return None


def _refusal_page(code: str, message: str) -> str:
    return _REFUSED_PAGE.replace("__CODE__", code).replace("__MESSAGE__", html.escape(message))


def _linked_member(stored: dict[str, Any] | None) -> str | None:
    if stored is None:
        return None
    manual = stored.get("manualMatchedMember")
    if isinstance(manual, str):
        return manual
    matched = stored.get("matchedMembers") or []
    return matched[0] if matched and isinstance(matched[0], str) else None


_SDK_JS = r"""(function () {
  var me = document.currentScript;
  var origin = new URL(me.src).origin;
  var config = {};
  (me.textContent || "").split("\n").forEach(function (line) {
    var at = line.indexOf(":");
    if (at > 0) config[line.slice(0, at).trim()] = line.slice(at + 1).trim().replace(/^"|"$/g, "");
  });
  var frames = [];
  function render(tag) {
    if (tag.dataset.inRendered) return;
    tag.dataset.inRendered = "1";
    var d = tag.dataset;
    var q = new URLSearchParams({
      atsCandidateId: d.atsCandidateId || "",
      integrationContext: d.integrationContext || "",
      apiKey: config.api_key || "",
      parentOrigin: window.location.origin,
      showUnlinkUrl: d.showUnlinkUrl || "false",
      confirmUnlink: d.confirmUnlink || "false"
    });
    var frame = document.createElement("iframe");
    frame.src = origin + "/recruiter/widget/hcm?" + q.toString();
    frame.title = "LinkedIn profile";
    frame.className = "in-hcm-widget";
    frame.width = d.width || "800";
    frame.height = "420";
    frame.style.border = "1px solid #ccc";
    tag.parentNode.insertBefore(frame, tag.nextSibling);
    frames.push({ frame: frame, onlink: d.onlink, onunlink: d.onunlink });
  }
  window.addEventListener("message", function (event) {
    if (event.origin !== origin) return;
    var data = event.data || {};
    frames.forEach(function (f) {
      if (f.frame.contentWindow !== event.source) return;
      var name = data.type === "link" ? f.onlink : data.type === "unlink" ? f.onunlink : null;
      if (name && typeof window[name] === "function") window[name](data.member);
    });
  });
  function parse() {
    document.querySelectorAll('script[type="IN/HcmWidget"]').forEach(render);
  }
  window.IN = window.IN || {};
  window.IN.parse = parse;
  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", parse);
  else parse();
})();
"""

_WIDGET_PAGE = """<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>LinkedIn profile widget</title></head>
<body>
<div id="widget">
  <p>ATS candidate <span id="candidate"></span> in <span id="context"></span></p>
  <p id="status"></p>
  <button id="unlink" hidden>Unlink</button>
  <ul id="members"></ul>
</div>
<script>
var state = __STATE__;
function show() {
  document.getElementById("candidate").textContent = state.candidate;
  document.getElementById("context").textContent = state.context;
  var linked = state.members.filter(function (m) { return m.urn === state.linked; })[0];
  document.getElementById("status").textContent = state.linked
    ? "Linked to " + (linked ? linked.name : state.linked) : "Not linked to a LinkedIn profile";
  document.getElementById("unlink").hidden = !(state.linked && state.showUnlink);
  var list = document.getElementById("members");
  list.textContent = "";
  state.members.forEach(function (m) {
    var item = document.createElement("li");
    item.dataset.member = m.urn;
    var button = document.createElement("button");
    button.textContent = "Link " + m.name;
    button.disabled = m.urn === state.linked;
    button.onclick = function () {
      state.linked = m.urn;
      parent.postMessage({ type: "link", member: m.urn }, state.parentOrigin);
      show();
    };
    item.appendChild(button);
    list.appendChild(item);
  });
}
document.getElementById("unlink").onclick = function () {
  if (state.confirmUnlink && !window.confirm("Unlink this candidate from the LinkedIn profile?")) return;
  var member = state.linked;
  state.linked = null;
  parent.postMessage({ type: "unlink", member: member }, state.parentOrigin);
  show();
};
show();
</script>
</body></html>
"""

_REFUSED_PAGE = """<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>LinkedIn profile widget</title></head>
<body>
<div id="refused" role="alert" data-reason="__CODE__">
  <p>__MESSAGE__</p>
</div>
</body></html>
"""

_RECRUITER_PAGE = """<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>{name} | LinkedIn Recruiter</title></head>
<body>
<h1 id="name">{name}</h1>
<p id="headline">{headline}</p>
<p id="indicator" data-state="loading">Checking your ATS…</p>
<section id="preview" hidden>
  <h2>In your ATS</h2>
  <div id="candidates"></div>
</section>
<script>
var member = {urn_json};
function el(tag, text, attrs) {{
  var node = document.createElement(tag);
  if (text !== undefined && text !== null) node.textContent = text;
  Object.keys(attrs || {{}}).forEach(function (k) {{ node.setAttribute(k, attrs[k]); }});
  return node;
}}
function note(n) {{
  return el("li", (n.author || "Someone") + ", " + n.written_at.slice(0, 10) + ": "
    + (n.restricted ? "(private note)" : n.body), {{"class": "note"}});
}}
async function load() {{
  var base = "/_sim/recruiter/in-ats/members/" + encodeURIComponent(member);
  var indicator = document.getElementById("indicator");
  var found = await fetch(base + "/indicator");
  if (found.status === 404) {{
    indicator.dataset.state = "absent";
    indicator.textContent = "Not in your ATS";
    return;
  }}
  if (!found.ok) {{
    indicator.dataset.state = "error";
    indicator.textContent = "Your ATS did not answer (" + found.status + ")";
    return;
  }}
  var ids = (await found.json()).candidate_ids;
  indicator.dataset.state = "present";
  indicator.textContent = "In your ATS (" + ids.length + (ids.length === 1 ? " candidate)" : " candidates)");
  var preview = await (await fetch(base + "/preview")).json();
  var box = document.getElementById("candidates");
  preview.candidates.forEach(function (c) {{
    var card = el("article", null, {{"class": "candidate", "data-candidate-id": c.id}});
    card.appendChild(el("h3", c.name, {{"class": "candidate-name"}}));
    card.appendChild(el("p", [c.current_title, c.current_company].filter(Boolean).join(" at ")));
    if (c.record_url) {{
      card.appendChild(el("a", "Open in ATS", {{"href": c.record_url, "class": "record-link"}}));
    }}
    var jobs = el("ul", null, {{"class": "applications"}});
    c.applications.forEach(function (a) {{
      var job = el("li", (a.job.restricted ? "A restricted job" : a.job.title) + " — " + a.stage,
                   {{"class": "application"}});
      var stages = el("ol", null, {{"class": "stages"}});
      a.stage_changes.forEach(function (s) {{
        stages.appendChild(el("li", s.stage + " on " + s.entered_at.slice(0, 10)));
      }});
      job.appendChild(stages);
      var notes = el("ul", null, {{"class": "notes"}});
      a.notes.forEach(function (n) {{ notes.appendChild(note(n)); }});
      job.appendChild(notes);
      a.interviews.forEach(function (i) {{
        job.appendChild(el("p", i.interview_type + " interview by " + (i.interviewer || "someone") + ": "
          + (i.rating || "") + " " + (i.summary || ""), {{"class": "interview"}}));
      }});
      jobs.appendChild(job);
    }});
    card.appendChild(jobs);
    var notes = el("ul", null, {{"class": "notes"}});
    c.notes.forEach(function (n) {{ notes.appendChild(note(n)); }});
    card.appendChild(notes);
    box.appendChild(card);
  }});
  document.getElementById("preview").hidden = false;
}}
load();
</script>
</body></html>
"""
