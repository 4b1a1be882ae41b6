"""Distinct identifier types, so mypy rejects an ATS id where a member URN belongs."""

import uuid
from typing import NewType

TenantId = NewType("TenantId", uuid.UUID)
AtsCandidateId = NewType("AtsCandidateId", str)
AtsUserId = NewType("AtsUserId", str)
MemberUrn = NewType("MemberUrn", str)
SeatUrn = NewType("SeatUrn", str)
ContractUrn = NewType("ContractUrn", str)
