"""The simulator's default world, used when no seed is given (README.md in this package has the seed format).

- partner app `sim-partner` / `sim-partner-secret` (developer application 100);
- organization `urn:li:organization:1001` with contract `urn:li:contract:2001` (RECRUITER_CORPORATE);
- child app `sim-customer` / `sim-customer-secret` (developer application 101, uniqueForeignId
  `sim-customer`) provisioned under the partner and linked to that organization and contract;
- IN_ATS_INDICATOR, ONE_CLICK_EXPORT, PROFILE_PLUGIN (organization) and CSA_API (contract) named and
  ENABLED, with JOB_POSTING_VIEWERS and APPLICATION_VIEWERS = ALL_PRODUCT_USERS;
- members m1001..m1005 with e-mail addresses; seats 3001..3003 (ACTIVE) held by m1001..m1003;
- the 3-legged authorize page auto-approves member m1001.

`{"childApps": []}` keeps all of it but the child app: nothing provisioned, connected, named or enabled.
"""

from __future__ import annotations

from typing import Any

DEFAULT_SEED: dict[str, Any] = {
    "partner": {"clientId": "sim-partner", "clientSecret": "sim-partner-secret", "appId": 100},
    "organizations": ["urn:li:organization:1001"],
    "contracts": [
        {
            "urn": "urn:li:contract:2001",
            "organization": "urn:li:organization:1001",
            "type": "RECRUITER_CORPORATE",
        }
    ],
    "childApps": [
        {
            "clientId": "sim-customer",
            "clientSecret": "sim-customer-secret",
            "appId": 101,
            "uniqueForeignId": "sim-customer",
            "name": "Sim ATS - Sim Customer",
            "organization": "urn:li:organization:1001",
            "contracts": ["urn:li:contract:2001"],
            "enabled": True,
        }
    ],
    "members": [
        {"id": "m1001", "firstName": "Alice", "lastName": "Recruiter", "email": "alice@sim-customer.example"},
        {"id": "m1002", "firstName": "Bob", "lastName": "Sourcer", "email": "bob@sim-customer.example"},
        {"id": "m1003", "firstName": "Carol", "lastName": "Hiring", "email": "carol@sim-customer.example"},
        {
            "id": "m1004",
            "firstName": "Dan",
            "lastName": "Candidate",
            "email": "dan@candidates.example",
            "phone": "+1 555 0100",
        },
        {
            "id": "m1005",
            "firstName": "Eve",
            "lastName": "Prospect",
            "email": "eve@candidates.example",
            "phone": "+1 555 0101",
        },
    ],
    "seats": [
        {"id": 3001, "contract": "urn:li:contract:2001", "member": "m1001", "roles": ["ADMIN_SEAT"]},
        {"id": 3002, "contract": "urn:li:contract:2001", "member": "m1002"},
        {"id": 3003, "contract": "urn:li:contract:2001", "member": "m1003"},
    ],
    "authorizeMember": "m1001",
}
