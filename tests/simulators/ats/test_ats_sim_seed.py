"""The seed generator: same seed, same world; sizes honoured, up to 100k candidates."""

from __future__ import annotations

from datetime import UTC, datetime

from rsc_service.simulators.ats import seed
from rsc_service.simulators.ats.config import SeedOptions
from rsc_service.simulators.ats.world import World


def fresh() -> World:
    return World(lambda: datetime(2026, 3, 2, tzinfo=UTC))


def snapshot(world: World) -> dict[str, list[dict[str, object]]]:
    return {kind: list(store.records.values()) for kind, store in world.stores.items()}


class TestDeterminism:
    def test_same_seed_same_world(self) -> None:
        first, second = fresh(), fresh()

        seed.generate(first, SeedOptions(seed=5, candidates=300))
        seed.generate(second, seed=5, candidates=300)

        assert snapshot(first) == snapshot(second)

    def test_other_seed_other_world(self) -> None:
        first, second = fresh(), fresh()

        seed.generate(first, seed=5, candidates=50)
        seed.generate(second, seed=6, candidates=50)

        assert snapshot(first)["candidate"] != snapshot(second)["candidate"]


class TestShape:
    def test_sizes_and_defaults(self) -> None:
        world = fresh()

        summary = seed.generate(world, seed=1, users=8, jobs=10, candidates=400, applications=500)

        assert summary == {
            "users": 8,
            "jobs": 10,
            "candidates": 400,
            "applications": 500,
            "notes": 200,
            "interview_feedback": 125,
        }
        assert world.count("candidate") == 400

    def test_jobs_cover_public_private_open_closed(self) -> None:
        world = fresh()
        seed.generate(world, seed=2, jobs=60, candidates=0)
        jobs = list(world.stores["job"].live())

        assert {job["privacy"] for job in jobs} == {"public", "private"}
        assert {job["status"] for job in jobs} == {"open", "closed"}
        assert all(job["closed_at"] for job in jobs if job["status"] == "closed")

    def test_applications_have_stage_history_ending_at_the_stage(self) -> None:
        world = fresh()
        seed.generate(world, seed=3, candidates=200)

        for application in world.stores["application"].live():
            history = application["stage_history"]
            assert history[-1]["stage"] == application["stage"]
            assert [entry["entered_at"] for entry in history] == sorted(
                entry["entered_at"] for entry in history
            )
            assert application["version"] == len(history)

    def test_children_point_at_existing_parents(self) -> None:
        world = fresh()
        seed.generate(world, seed=4, candidates=100)

        for note in world.stores["note"].live():
            world.get("candidate", note["candidate_id"])
            if note["application_id"]:
                assert (
                    world.get("application", note["application_id"])["candidate_id"] == note["candidate_id"]
                )
        for feedback in world.stores["interview_feedback"].live():
            application = world.get("application", feedback["application_id"])
            assert (application["candidate_id"], application["job_id"]) == (
                feedback["candidate_id"],
                feedback["job_id"],
            )

    def test_recruiter_emails_go_to_recruiter_users(self) -> None:
        world = fresh()
        emails = ["seat.one@acme.example", "seat.two@acme.example"]
        seed.generate(world, seed=1, candidates=0, recruiter_emails=emails)

        users = {user["email"]: user for user in world.stores["user"].live()}

        assert all(users[email]["access_level"] == "recruiter" for email in emails)


class TestScale:
    def test_100k_candidates_each_with_its_own_id(self) -> None:
        # How fast it seeds is the initial-sync benchmark's to measure (bench/initial_sync.py), not a test's.
        world = fresh()

        seed.generate(world, seed=9, candidates=100_000, applications=0, notes=0, interviews=0)

        assert world.count("candidate") == 100_000
        assert len({record["id"] for record in world.stores["candidate"].records.values()}) == 100_000
