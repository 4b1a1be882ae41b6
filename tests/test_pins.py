"""The installed packages are the pinned ones, and no pin is below a release fixing a known advisory."""

from __future__ import annotations

from importlib import metadata

import pytest
from packaging.version import Version

from tests.processes import ROOT

# The first release past each advisory the pins once fell under (`make audit` checks them all).
FIXED_IN = {
    "setuptools": "78.1.1",  # CVE-2022-40897, CVE-2024-6345, CVE-2025-47273
    "pip": "25.3",  # CVE-2023-5752, CVE-2025-8869
}


def _pins() -> dict[str, str]:
    pins = {}
    for line in (ROOT / "constraints.txt").read_text().splitlines():
        name, sep, version = line.split("#")[0].strip().partition("==")
        if sep:
            pins[name.lower()] = version
    return pins


@pytest.mark.parametrize(("name", "fixed"), sorted(FIXED_IN.items()))
def test_no_pin_is_below_a_known_fix(name: str, fixed: str) -> None:
    assert Version(_pins()[name]) >= Version(fixed)


def test_what_is_installed_is_what_is_pinned() -> None:
    installed = {
        dist.metadata["Name"].lower().replace("_", "-"): dist.version for dist in metadata.distributions()
    }
    pins = {name.replace("_", "-"): version for name, version in _pins().items()}
    differ = {
        name: (pin, installed[name])
        for name, pin in pins.items()
        if name in installed and installed[name] != pin
    }
    assert differ == {}
