"""What a customer must have to turn the integration on (PRODUCT A1), judged without I/O: every unmet
requirement is named at once (docs/onboarding.md#kick-off-a1-a2)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from rsc_service.errors import FieldProblem, Unprocessable

ENTERPRISE = "enterprise"
ACTIVATING_LEVELS = frozenset({"owner", "admin"})
CORPORATE = "RECRUITER_CORPORATE"
ADMIN_SEAT = "ADMIN_SEAT"


@dataclass(frozen=True)
class AtsSide:
    plan: str
    user_id: str
    access_level: str | None  # None: no such ATS user
    user_active: bool


@dataclass(frozen=True)
class LinkedInSide:
    contracts: Sequence[tuple[str, str]]  # (contract URN, contract type)
    seat_roles: Sequence[str]  # the signed-in member's roles on the chosen contract


class RequirementsUnmet(Unprocessable):
    code = "requirements_unmet"


def ats_problems(ats: AtsSide) -> list[FieldProblem]:
    problems = []
    if ats.plan != ENTERPRISE:
        problems.append(
            FieldProblem(
                field="requirements.ats_plan",
                reason=f"the ATS account is on the {ats.plan} plan; the integration needs Enterprise",
            )
        )
    if ats.access_level is None:
        problems.append(FieldProblem(field="requirements.ats_user", reason=f"no ATS user {ats.user_id!r}"))
    elif ats.access_level not in ACTIVATING_LEVELS or not ats.user_active:
        level = ats.access_level if ats.user_active else f"{ats.access_level} (inactive)"
        problems.append(
            FieldProblem(
                field="requirements.ats_access_level",
                reason=f"ATS user {ats.user_id!r} has access level {level}; an Admin or Owner must activate",
            )
        )
    return problems


def linkedin_problems(linkedin: LinkedInSide) -> list[FieldProblem]:
    problems = []
    if not linkedin.contracts:
        problems.append(
            FieldProblem(field="requirements.contract", reason="no Recruiter contract was chosen")
        )
    for urn, kind in linkedin.contracts:
        if kind != CORPORATE:
            shown = "Recruiter Lite" if kind == "RECRUITER_LITE" else kind
            problems.append(
                FieldProblem(
                    field="requirements.contract",
                    reason=f"{urn} is a {shown} contract; the integration needs Recruiter Corporate",
                )
            )
    if ADMIN_SEAT not in linkedin.seat_roles:
        problems.append(
            FieldProblem(
                field="requirements.linkedin_admin_seat",
                reason="the LinkedIn member who signed in does not hold an admin seat on the chosen contract",
            )
        )
    return problems


def check(problems: Sequence[FieldProblem]) -> None:
    if problems:
        raise RequirementsUnmet(
            "the integration cannot be activated: " + "; ".join(p.reason for p in problems), errors=problems
        )
