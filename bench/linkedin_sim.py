"""The LinkedIn simulator as its own process, with the limits a benchmark asks for (JSON SimConfig fields)."""

from __future__ import annotations

import json
import sys

import uvicorn

from rsc_service.simulators.linkedin import standalone


def main() -> None:
    port, settings = int(sys.argv[1]), json.loads(sys.argv[2])
    config = standalone.build(None, True, **settings)
    config.host, config.port = "127.0.0.1", port
    uvicorn.Server(config).run()


if __name__ == "__main__":
    main()
