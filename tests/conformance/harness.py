"""Runs LinkedIn's RSC Postman collection with newman against a standalone simulator on 127.0.0.1.

The collection is LinkedIn's licensed file: it is read from its path (never copied into the project),
rewritten in memory (hosts to the simulator, tokens and ids filled in from what it triggers), written
to a temporary file, and run.
"""

from __future__ import annotations

import copy
import hashlib
import hmac
import json
import os
import socket
import subprocess
import threading
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import httpx
import uvicorn

from rsc_service.simulators.linkedin.standalone import build

HERE = Path(__file__).resolve().parent
REPO = HERE.parents[1]
NEWMAN = HERE / "node_modules" / ".bin" / "newman"
CUSTOMER = ("sim-customer", "sim-customer-secret")
PARTNER = ("sim-partner", "sim-partner-secret")
SEAT = "3001"
EXPORTED_MEMBER = "m1004"


def collection_path() -> Path:
    configured = os.environ.get("RSC_CONFORMANCE_COLLECTION")
    return (
        Path(configured)
        if configured
        else REPO.parent / "shared" / "reference" / "rsc-postman-collection.json"
    )


def ensure_newman() -> Path:
    if not NEWMAN.exists():
        subprocess.run(
            ["npm", "ci", "--prefix", str(HERE), "--no-audit", "--no-fund"], check=True, timeout=600
        )
    return NEWMAN


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


@contextmanager
def simulator(**settings: Any) -> Iterator[str]:
    """The standalone simulator served by uvicorn in a thread; yields its base URL."""
    config = build(None, True, **settings)
    config.host, config.port = "127.0.0.1", free_port()
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not server.started:
        if time.monotonic() > deadline or not thread.is_alive():
            raise RuntimeError("the simulator did not start")
        time.sleep(0.02)
    try:
        yield f"http://127.0.0.1:{config.port}"
    finally:
        server.should_exit = True
        thread.join(timeout=10)


@dataclass
class Receiver:
    """The customer's callback URL: answers challenges with the child secret and keeps each POST."""

    url: str = ""
    posts: list[dict[str, Any]] = field(default_factory=list)


@contextmanager
def receiver() -> Iterator[Receiver]:
    state = Receiver()

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            code = parse_qs(urlsplit(self.path).query)["challengeCode"][0]
            answer = hmac.new(CUSTOMER[1].encode(), code.encode(), hashlib.sha256).hexdigest()
            self._reply(200, json.dumps({"challengeCode": code, "challengeResponse": answer}).encode())

        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
            state.posts.append(json.loads(body))
            self._reply(200, b"{}")

        def _reply(self, status: int, body: bytes) -> None:
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, format: str, *args: Any) -> None:
            return

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    state.url = f"http://127.0.0.1:{server.server_address[1]}/v1/linkedin/notifications/conformance"
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield state
    finally:
        server.shutdown()
        server.server_close()


@dataclass
class Prepared:
    """What the run needs that the collection expects a person to paste in."""

    customer_token: str
    member_token: str
    person_id: str
    status_request_id: str
    export_request_id: str
    now_ms: int
    callback_url: str


def prepare(base: str, inbox: Receiver) -> Prepared:
    """Tokens (incl. the 3-legged flow), the callback URL, and one notification of each kind via /_sim."""
    with httpx.Client(base_url=base, timeout=10) as http:
        form = {"grant_type": "client_credentials", "client_id": CUSTOMER[0], "client_secret": CUSTOMER[1]}
        customer_token = http.post("/oauth/v2/accessToken", data=form).json()["access_token"]
        redirect = "https://oauth.pstmn.io/v1/callback"
        page = http.get(
            "/oauth/v2/authorization",
            params={
                "response_type": "code",
                "client_id": CUSTOMER[0],
                "redirect_uri": redirect,
                "scope": "r_liteprofile",
            },
        )
        code = parse_qs(urlsplit(page.headers["location"]).query)["code"][0]
        member = http.post(
            "/oauth/v2/accessToken",
            data=form | {"grant_type": "authorization_code", "code": code, "redirect_uri": redirect},
        )
        member_token = member.json()["access_token"]
        person_id = http.get("/v2/me?fields=id", headers={"Authorization": f"Bearer {member_token}"}).json()[
            "id"
        ]
        oce = (
            "integrationContext=urn:li:organization:1001&integrationType=ONE_CLICK_EXPORT"
            "&tenantType=RECRUITER&dataProvider=ATS"
        )
        http.put(
            f"/v2/atsIntegrations/{oce}/configurations?ids=CALLBACK_URL",
            headers={"Authorization": f"Bearer {customer_token}", "X-RestLi-Method": "batch_update"},
            json={"entities": {"CALLBACK_URL": {"configurationValue": {"string": inbox.url}}}},
        ).raise_for_status()
        http.post("/_sim/admin/enable", json={"clientId": CUSTOMER[0]}).raise_for_status()
        http.post("/_sim/exports", json={"seat": int(SEAT), "member": EXPORTED_MEMBER}).raise_for_status()
        now_ms = http.get("/_sim/clock").json()["nowMs"]
    by_type = {post["type"]: post["id"] for post in inbox.posts}
    return Prepared(
        customer_token,
        member_token,
        person_id,
        by_type["INTEGRATION_STATUS_CHANGE"],
        by_type["EXPORT_CANDIDATE_PROFILE"],
        now_ms,
        inbox.url,
    )


def _requests(items: list[dict[str, Any]]) -> Iterator[dict[str, Any]]:
    for item in items:
        if "item" in item:
            yield from _requests(item["item"])
        else:
            yield item


def _fill(text: str, values: dict[str, str]) -> str:
    for placeholder, value in values.items():
        text = text.replace(placeholder, value)
    return text


def rewrite(
    collection: dict[str, Any], base: str, prep: Prepared, checks: dict[str, list[str]]
) -> dict[str, Any]:
    """The in-memory copy newman runs: hosts, auth, pre-set variables, request ids and per-request checks."""
    copy_ = copy.deepcopy(collection)
    host = urlsplit(base)
    variables = {
        "partner_app_client_id": PARTNER[0],
        "partner_app_client_secret": PARTNER[1],
        "org_id": "1001",
        "contract_id": "2001",
        "customer_app_client_id": CUSTOMER[0],
        "customer_app_client_secret": CUSTOMER[1],
        "customer_name": "Acme",
        "unique_foreign_id": f"conformance-{uuid.uuid4().hex[:8]}",
        "customer_access_token": prep.customer_token,
        "person_id": prep.person_id,
    }
    copy_["variable"] = [{"key": k, "value": v, "type": "string"} for k, v in variables.items()]
    common = {
        "{{Enter_ID_Value_Present_In_Response_of_Retrieve_Recruiter_Seatholders_API}}": SEAT,
        "{{Epoch in milliseconds}}": str(prep.now_ms),
        "<https://YourCallbackURL>": prep.callback_url,
    }
    for item in _requests(copy_["item"]):
        request = item["request"]
        url = request["url"]
        request_id = prep.export_request_id if "exportedCandidates" in url["raw"] else prep.status_request_id
        values = common | {"{{Enter_Request_ID_obtained_from_POST_in_CallbackURL}}": request_id}
        old_prefix = f"{url['protocol']}://{'.'.join(url['host'])}"
        url["raw"] = _fill(url["raw"].replace(old_prefix, base, 1), values)
        url["protocol"], url["host"], url["port"] = (
            host.scheme,
            (host.hostname or "").split("."),
            str(host.port),
        )
        for param in url.get("query", []):
            param["value"] = _fill(param.get("value") or "", values)
        if request.get("body", {}).get("raw"):
            request["body"]["raw"] = _fill(request["body"]["raw"], values)
        if (request.get("auth") or {}).get("type") == "oauth2":
            request["auth"] = {
                "type": "bearer",
                "bearer": [{"key": "token", "value": prep.member_token, "type": "string"}],
            }
        lines = checks.get(
            item["name"], ["pm.test('2xx', function () { pm.expect(pm.response.code).to.be.below(300); });"]
        )
        item.setdefault("event", []).append(
            {"listen": "test", "script": {"type": "text/javascript", "exec": lines}}
        )
    return copy_


def run_newman(collection: dict[str, Any], workdir: Path) -> dict[str, Any]:
    source = workdir / "collection.json"
    report = workdir / "report.json"
    source.write_text(json.dumps(collection), encoding="utf-8")
    completed = subprocess.run(
        [
            str(ensure_newman()),
            "run",
            str(source),
            "--bail",
            "false",
            "--reporters",
            "json",
            "--reporter-json-export",
            str(report),
            "--timeout-request",
            "15000",
            "--disable-unicode",
        ],
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    if not report.exists():
        raise RuntimeError(f"newman wrote no report: {completed.stdout}\n{completed.stderr}")
    result: dict[str, Any] = json.loads(report.read_text(encoding="utf-8"))
    return result
