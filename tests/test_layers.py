"""The floors of the code (pyproject.toml's import-linter contracts) hold, and a
back-reference, such as the catalogue importing the search app, breaks them."""

import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from django.conf import settings

BASE = Path(settings.BASE_DIR)
LINT_IMPORTS = Path(sys.executable).parent / "lint-imports"
# A virtualenv built before import-linter joined the dev extra skips; in CI a skip fails.
pytestmark = pytest.mark.skipif(
    not LINT_IMPORTS.exists(), reason="import-linter is not installed: pip install -e '.[dev]'"
)


def lint_imports(root: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(  # noqa: S603
        [str(LINT_IMPORTS), "--no-cache"],
        cwd=root,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
        env={"PATH": "/usr/bin:/bin", "PYTHONPATH": str(root)},
    )


def test_the_contracts_are_kept() -> None:
    result = lint_imports(BASE)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "BROKEN" not in result.stdout


@pytest.mark.parametrize(
    ("module", "back_reference"),
    [
        ("apps/catalog/models.py", "from apps.search import indexing"),
        ("apps/core/models.py", "from apps.catalog import models"),
        ("apps/web/feeds.py", "from apps.api import views"),
        ("apps/linkcheck/tasks.py", "from apps.search import indexing"),
    ],
)
def test_a_back_reference_breaks_the_build(
    tmp_path: Path, module: str, back_reference: str
) -> None:
    shutil.copytree(BASE / "apps", tmp_path / "apps", ignore=shutil.ignore_patterns("__pycache__"))
    shutil.copy(BASE / "pyproject.toml", tmp_path / "pyproject.toml")
    (tmp_path / module).write_text(f"{back_reference}\n" + (tmp_path / module).read_text())
    result = lint_imports(tmp_path)
    assert result.returncode != 0
    assert "BROKEN" in result.stdout
