"""Base classes of the LinkedIn wire models: camelCase aliases, and what is kept when reading."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict
from pydantic.alias_generators import to_camel


class Wire(BaseModel):
    model_config = ConfigDict(alias_generator=to_camel, populate_by_name=True)

    def to_wire(self) -> dict[str, Any]:
        return self.model_dump(mode="json", by_alias=True, exclude_none=True)


class Read(Wire):
    """A model of a LinkedIn answer; fields LinkedIn adds beyond the documented ones are kept."""

    model_config = ConfigDict(extra="allow")
