"""The status and body shape LinkedIn documents for each request of its RSC collection, as newman checks."""

from __future__ import annotations

BATCH_OK = (
    "var b = pm.response.json(); pm.expect(b).to.have.property('results'); pm.expect(b.errors).to.eql({});"
)
FINDER = (
    "var b = pm.response.json(); pm.expect(b.elements).to.be.an('array');"
    " pm.expect(b).to.have.property('paging');"
)
TOKEN = (
    "var b = pm.response.json(); pm.expect(b.access_token).to.be.a('string');"
    " pm.expect(b.expires_in).to.eql(1800);"
)
TASK = (
    "var b = pm.response.json();"
    " Object.values(b.results).forEach(function (t) { pm.expect(t.status).to.eql('SUCCEEDED'); });"
)
CREATED = (
    "var b = pm.response.json(); pm.expect(b.elements[0].status).to.eql(201);"
    " pm.expect(b.elements[0].id).to.be.a('string');"
)
ONE = "pm.expect(pm.response.json().elements.length).to.eql(1);"
MATCH = "var r = Object.values(pm.response.json().results)[0]; pm.expect(r.firstName).to.eql('john');"
STATUS_CHANGE = "pm.expect(pm.response.json().elements.length).to.be.above(0);"

EXPECTED: dict[str, tuple[int, list[str]]] = {
    "Parent Application Access Token": (200, [TOKEN]),
    "Provision Child Application": (
        201,
        ["pm.expect(pm.response.json().key).to.match(/^urn:li:developerApplication:/);"],
    ),
    "Update JavaScript SDK Domain for Child Application": (204, []),
    "Update OAuth2.0 Authorized CallBack URL for Child Application": (204, []),
    "Get Child Application": (200, [FINDER, ONE]),
    "Update Customer ATSIntegration - ONE_CLICK_EXPORT": (200, [BATCH_OK]),
    "Update Customer ATSIntegration - IN_ATS_INDICATOR": (200, [BATCH_OK]),
    "Update Customer ATSIntegration - PROFILE_PLUGIN": (200, [BATCH_OK]),
    "Update Customer ATSIntegration - CSA_API": (200, [BATCH_OK]),
    "Verify Customer's  ATSIntegrations": (
        200,
        [BATCH_OK, "pm.expect(Object.keys(pm.response.json().results).length).to.eql(4);"],
    ),
    "Sync Integration Configuration - Callback URL (Mandatory)": (200, [BATCH_OK]),
    "Sync Integration Configuration - Job Posting Viewers (Optional)": (200, [BATCH_OK]),
    "Sync Integration Configuration - Application Viewers (Optional)": (200, [BATCH_OK]),
    "Delete Integration Configuration - Job Posting Viewers": (200, [BATCH_OK]),
    "Delete Integration Configuration - Application Viewers": (200, [BATCH_OK]),
    "Verify Customer Integrations - Configs": (200, [BATCH_OK]),
    "GET Notification Type INTEGRATION_STATUS_CHANGE": (200, [FINDER, STATUS_CHANGE]),
    "Create Public Job": (200, [CREATED]),
    "Get Public Job Creation Task Status": (200, [BATCH_OK, TASK]),
    "Create Private Job": (200, [CREATED]),
    "Get Private Job Creation Task Status": (200, [BATCH_OK, TASK]),
    "Sync Candidates": (200, [BATCH_OK]),
    "Sync Candidates - Retrieve Candidate Matches": (200, [BATCH_OK, MATCH]),
    "One Click Export - Attach Person URN": (200, [BATCH_OK]),
    "Sync Candidate Notes": (200, [BATCH_OK]),
    "Sync Job Applications": (200, [BATCH_OK]),
    "Sync Job Application Notes": (200, [BATCH_OK]),
    "Sync Application Interview Feedback": (200, [BATCH_OK]),
    "Sync Application Stages": (
        200,
        [BATCH_OK, "pm.expect(Object.keys(pm.response.json().results).length).to.eql(3);"],
    ),
    "GET Notification Type EXPORT_CANDIDATE_PROFILE": (200, [FINDER, ONE]),
    "Retrieve Recruiter Seatholders": (
        200,
        [FINDER, "pm.expect(pm.response.json().elements[0]).to.have.keys(['id']);"],
    ),
    "Retrieve InMail History": (200, [FINDER]),
    "Retrieve InMail Stub Profiles": (200, [FINDER]),
    "Retrieve Prospect Notes": (200, [FINDER]),
    "Upsert Entity ACL": (200, [BATCH_OK]),
    "Retrieve Entity ACL": (200, [FINDER, ONE]),
    "Delete Entity ACL": (200, [BATCH_OK]),
    "Upsert Entity ACL Assignees": (200, [BATCH_OK]),
    "Retrieve Entity ACL Assignees": (200, [FINDER, ONE]),
    "Delete Entity ACL Assignees": (200, [BATCH_OK]),
    "Sync Candidates - Delete": (200, [BATCH_OK]),
    "Sync Candidate Notes - Delete Note": (200, [BATCH_OK]),
    "Sync Job Applications - Delete": (200, [BATCH_OK]),
    "Sync Job Application Notes - Delete": (200, [BATCH_OK]),
    "Sync Application Interview Feedback - Delete": (200, [BATCH_OK]),
    "Sync Application Stages - Delete": (200, [BATCH_OK]),
    "Get Customer Application Access Token": (200, [TOKEN]),
    "GET Person ID - With 3 legged OAuth Flow - r_liteprofile permission": (
        200,
        ["pm.expect(pm.response.json().id).to.be.a('string');"],
    ),
}


def checks() -> dict[str, list[str]]:
    """Per request name, the newman test lines: its documented status, then its body shape."""
    out = {}
    for name, (status, shape) in EXPECTED.items():
        lines = [f"pm.test('status {status}', function () {{ pm.response.to.have.status({status}); }});"]
        lines += [f"pm.test('shape {i}', function () {{ {line} }});" for i, line in enumerate(shape)]
        out[name] = lines
    return out
