"""The dependency rules of docs/architecture.md#folders, enforced by import-linter's contracts in
pyproject.toml — and shown to catch a violation planted in a copy of the package."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from tests.processes import ROOT

LINT_IMPORTS = Path(sys.executable).parent / "lint-imports"


def _lint(root: Path, source: Path) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PYTHONPATH": str(source)}  # ahead of the installed package
    return subprocess.run(
        [str(LINT_IMPORTS), "--no-cache"], cwd=root, env=env, capture_output=True, text=True, check=False
    )


def _planted(tmp_path: Path, module: str, line: str) -> Path:
    """A copy of the project's package and contracts with `line` added to `module`; its root."""
    shutil.copy(ROOT / "pyproject.toml", tmp_path / "pyproject.toml")
    shutil.copytree(
        ROOT / "src" / "rsc_service",
        tmp_path / "src" / "rsc_service",
        ignore=shutil.ignore_patterns("__pycache__"),
    )
    target = tmp_path / "src" / Path(*module.split(".")).with_suffix(".py")
    target.write_text(target.read_text() + f"\n{line}\n")
    return tmp_path


class TestArchitecture:
    def test_import_contracts_hold(self) -> None:
        result = _lint(ROOT, ROOT / "src")
        assert result.returncode == 0, result.stdout + result.stderr
        assert "0 broken" in result.stdout

    @pytest.mark.parametrize(
        ("module", "line", "contract"),
        [
            (
                "rsc_service.integrations.linkedin.batch",
                "from rsc_service.outbox import service as _planted  # noqa",
                "Integrations import nothing of the service outside themselves BROKEN",
            ),
            (
                "rsc_service.simulators.ats.store",
                "import rsc_service.newly_added_module  # noqa",
                "Simulators import nothing of the service outside themselves BROKEN",
            ),
            (
                "rsc_service.outbox.policy",
                "from rsc_service.push import registry as _planted  # noqa",
                "Layers: composition > features > plumbing > foundation BROKEN",
            ),
            (
                "rsc_service.push.service",
                "from rsc_service.outbox import repository as _planted  # noqa",
                "The outbox repository is private to its feature BROKEN",
            ),
        ],
    )
    def test_a_planted_violation_is_caught(
        self, tmp_path: Path, module: str, line: str, contract: str
    ) -> None:
        root = _planted(tmp_path, module, line)
        if "newly_added_module" in line:  # a module no contract names: forbidding the package covers it
            (root / "src" / "rsc_service" / "newly_added_module.py").write_text('"""New."""\n')

        result = _lint(root, root / "src")

        assert result.returncode != 0
        assert contract in result.stdout, result.stdout
