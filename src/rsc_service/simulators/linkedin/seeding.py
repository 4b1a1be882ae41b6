"""Seeding a world from JSON: the default world's parts, then recruiter activity (InMails, replies, notes)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from . import recruiter
from .world import World


def seed_world(world: World, data: dict[str, Any] | None = None) -> None:
    """Replace the world; `inmails` and `prospectNotes` in `data` are played as recruiters would."""
    world.seed(data)
    for inmail in (data or {}).get("inmails", []):
        event = recruiter.send_inmail(
            world,
            int(inmail["seat"]),
            str(inmail["member"]),
            inmail.get("subject", ""),
            inmail.get("body", ""),
        )
        if "at" in inmail:
            event.at = int(inmail["at"])
        answer = inmail.get("reply")
        if answer is not None:
            reply, stub = recruiter.reply(
                world,
                event.event_id,
                answer.get("body", ""),
                bool(answer.get("shareEmail")),
                bool(answer.get("sharePhone")),
            )
            if "at" in answer:
                reply.at = int(answer["at"])
                if stub is not None:
                    stub.created_at = int(answer["at"])
    for note in (data or {}).get("prospectNotes", []):
        written = recruiter.write_note(
            world, int(note["seat"]), str(note["member"]), note["note"], note.get("id")
        )
        if "at" in note:
            written.created = written.last_modified = int(note["at"])
        if note.get("active") is False:
            written.active = False


def seed_from_file(world: World, path: Path) -> None:
    seed_world(world, json.loads(path.read_text(encoding="utf-8")))
