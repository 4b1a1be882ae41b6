"""Matching users to seats by email, as a pure function: what is released, connected, and why not."""

from __future__ import annotations

from rsc_service.seats import matching
from rsc_service.seats.matching import EMAIL, MANUAL, SeatState, User


def seat(
    seat_id: int, email: str | None, *, active: bool = True, user: str | None = None, by: str | None = None
) -> SeatState:
    return SeatState(seat_id, email, active, user, by)


def user(user_id: str, email: str, *, active: bool = True) -> User:
    return User(user_id, email, "A", "B", active)


def reasons(plan: matching.Plan) -> dict[str, str]:
    return {u.user.id: u.reason for u in plan.unmatched}


class TestPlan:
    def test_emails_match_trimmed_and_whatever_the_case(self) -> None:
        plan = matching.plan([seat(1, " Ann@Example.COM")], [user("u1", "ann@example.com  ")])

        assert plan.assign == {1: "u1"}
        assert plan.unmatched == []

    def test_the_first_listed_user_gets_the_seat_the_next_is_told_it_is_taken(self) -> None:
        plan = matching.plan([seat(1, "ann@x")], [user("u2", "ann@x"), user("u1", "ANN@x")])

        assert plan.assign == {1: "u2"}
        assert reasons(plan) == {"u1": matching.TAKEN}

    def test_inactive_seats_and_seats_without_an_email_match_nobody(self) -> None:
        plan = matching.plan(
            [seat(1, "ann@x", active=False), seat(2, None)], [user("u1", "ann@x"), user("u2", "")]
        )

        assert plan.assign == {}
        assert reasons(plan) == {"u1": matching.NO_HOLDER, "u2": matching.NO_HOLDER}

    def test_a_manual_assignment_is_never_replaced_and_its_user_keeps_it(self) -> None:
        plan = matching.plan(
            [seat(1, "ann@x", user="u9", by=MANUAL), seat(2, "bob@x")],
            [user("u1", "ann@x"), user("u9", "bob@x", active=False)],
        )

        assert plan.release == [] and plan.assign == {}
        assert reasons(plan) == {"u1": matching.TAKEN}  # u9 holds seat 1, inactive or not

    def test_a_seat_emptied_by_hand_is_not_refilled(self) -> None:
        plan = matching.plan([seat(1, "ann@x", by=MANUAL)], [user("u1", "ann@x")])

        assert plan.assign == {}
        assert reasons(plan) == {"u1": matching.LEFT_EMPTY}

    def test_automatic_connections_that_no_longer_hold_are_released(self) -> None:
        seats = [
            seat(1, "ann@x", user="u1", by=EMAIL),  # u1 went inactive
            seat(2, "bob@x", user="u2", by=EMAIL),  # u2 changed their email
            seat(3, "cat@x", active=False, user="u3", by=EMAIL),  # the seat went inactive
            seat(4, "dan@x", user="u4", by=EMAIL),  # u4 is no longer listed
            seat(5, "eve@x", user="u5", by=EMAIL),  # still holds
            seat(6, "bob@x"),
        ]
        users = [
            user("u1", "ann@x", active=False),
            user("u2", "bob@y"),
            user("u3", "cat@x"),
            user("u5", "EVE@x"),
            user("u6", "bob@x"),
        ]

        plan = matching.plan(seats, users)

        assert plan.release == [1, 2, 3, 4]
        assert plan.assign == {2: "u6"}  # the lowest free seat with the email
        assert reasons(plan) == {"u1": matching.INACTIVE, "u2": matching.NO_HOLDER, "u3": matching.NO_HOLDER}

    def test_a_released_user_may_be_connected_to_another_seat_at_once(self) -> None:
        plan = matching.plan([seat(1, "old@x", user="u1", by=EMAIL), seat(2, "new@x")], [user("u1", "new@x")])

        assert (plan.release, plan.assign) == ([1], {2: "u1"})

    def test_a_user_holds_at_most_one_seat(self) -> None:
        plan = matching.plan([seat(1, "ann@x"), seat(2, "ann@x")], [user("u1", "ann@x")])

        assert plan.assign == {1: "u1"}
