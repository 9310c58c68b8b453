"""sdk/python is generated from schema.json with `pulumi package gen-sdk` and must not be stale."""
import filecmp
import pathlib
import subprocess

import pytest

REPO = pathlib.Path(__file__).resolve().parents[2]

pytestmark = pytest.mark.e2e


def _files(root: pathlib.Path) -> set[str]:
    return {str(p.relative_to(root)) for p in root.rglob("*")
            if p.is_file() and "__pycache__" not in p.parts and ".egg-info" not in str(p)}


def test_python_sdk_is_fresh(tmp_path):
    r = subprocess.run([str(REPO / "scripts" / "pulumi"), "package", "gen-sdk", str(REPO / "schema.json"),
                        "--language", "python", "-o", str(tmp_path)], capture_output=True, text=True, timeout=600)
    assert r.returncode == 0, r.stderr
    fresh, committed = tmp_path / "python", REPO / "sdk" / "python"
    assert _files(fresh) == _files(committed), "sdk/python is stale: run `make sdk`"
    for rel in _files(fresh):
        assert filecmp.cmp(fresh / rel, committed / rel, shallow=False), f"sdk/python/{rel} is stale: run `make sdk`"
