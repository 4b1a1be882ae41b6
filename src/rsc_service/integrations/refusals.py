"""How an answer that does not fit its model is described, for both integrations: by field and reason,
never by value (an answer carries names, emails and notes, and the text reaches logs and the outbox's last
error)."""

from __future__ import annotations

from pydantic import ValidationError


def refused_fields(error: ValidationError, *, most: int = 5) -> str:
    """What a model refused, by field and reason, never with the values."""
    items = error.errors(include_url=False, include_input=False, include_context=False)
    shown = "; ".join(
        f"{'.'.join(str(part) for part in item['loc']) or '(the body)'}: {item['msg']}"
        for item in items[:most]
    )
    return f"{len(items)} invalid field(s): {shown}" + ("; …" if len(items) > most else "")


def lone_surrogate(error: ValidationError) -> bool:
    """Whether pydantic's fast JSON parser refused a body over an escape for half a surrogate pair: valid JSON
    by its grammar (Python's parser reads it), though no UTF-8 text can hold it."""
    return any(
        item["type"] == "json_invalid" and "hex escape" in str(item.get("ctx", {}).get("error", item["msg"]))
        for item in error.errors(include_url=False, include_input=False)
    )
