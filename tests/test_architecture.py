"""The dependency direction of style-anchors §5.3, enforced by import-linter's contracts in pyproject.toml."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from tests.processes import ROOT


class TestArchitecture:
    def test_import_contracts_hold(self) -> None:
        lint_imports = Path(sys.executable).parent / "lint-imports"
        result = subprocess.run(
            [str(lint_imports), "--no-cache"], cwd=ROOT, capture_output=True, text=True, check=False
        )
        assert result.returncode == 0, result.stdout + result.stderr
        assert "0 broken" in result.stdout
