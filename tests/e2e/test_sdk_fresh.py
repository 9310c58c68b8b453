"""The SDKs are generated from schema.json (scripts/gen-sdk, the official language hosts' code
generators) and must not be stale; each must build (scripts/build-sdks: tsc for TypeScript,
go build + vet for Go; `make dist` builds the Python wheel)."""
import filecmp
import json
import os
import pathlib
import subprocess

import pytest

REPO = pathlib.Path(__file__).resolve().parents[2]
LANGS = ("python", "nodejs", "go")
BUILD_ARTEFACTS = {"node_modules", "bin", "build", "__pycache__"}

pytestmark = pytest.mark.e2e


def _files(root: pathlib.Path) -> set[str]:
    return {str(p.relative_to(root)) for p in root.rglob("*")
            if p.is_file() and not BUILD_ARTEFACTS & set(p.relative_to(root).parts)
            and ".egg-info" not in str(p)}


@pytest.fixture(scope="module")
def fresh(tmp_path_factory):
    out = tmp_path_factory.mktemp("sdk")
    env = {k: v for k, v in os.environ.items() if k != "PULUMI_FREEBSD_PLUGIN_DOWNLOAD_URL"}
    r = subprocess.run([str(REPO / "scripts" / "gen-sdk"), str(out)], capture_output=True, text=True,
                       timeout=600, env=env)
    assert r.returncode == 0, r.stderr
    return out


@pytest.mark.parametrize("lang", LANGS)
def test_sdk_is_fresh(fresh, lang):
    new, committed = fresh / lang, REPO / "sdk" / lang
    assert _files(new) == _files(committed), f"sdk/{lang} is stale: run `make sdk`"
    for rel in _files(new):
        assert filecmp.cmp(new / rel, committed / rel, shallow=False), f"sdk/{lang}/{rel} is stale: run `make sdk`"


@pytest.mark.parametrize("lang", LANGS)
def test_sdk_carries_the_one_version(lang):
    version = subprocess.run(["make", "-s", "-C", str(REPO), "version"], capture_output=True, text=True,
                             check=True).stdout.strip()
    schema = json.loads((REPO / "schema.json").read_text())
    assert schema["version"] == version
    if lang == "python":
        plugin = json.loads((REPO / "sdk/python/pulumi_freebsd/pulumi-plugin.json").read_text())
        assert plugin == {"resource": True, "name": "freebsd", "version": version,
                          "server": schema["pluginDownloadURL"]}
        assert f'version = "{version}"' in (REPO / "sdk/python/pyproject.toml").read_text()
    elif lang == "nodejs":
        pkg = json.loads((REPO / "sdk/nodejs/package.json").read_text())
        assert pkg["version"] == version
        assert pkg["pulumi"] == {"resource": True, "name": "freebsd", "version": version,
                                 "server": schema["pluginDownloadURL"]}
    else:
        text = (REPO / "sdk/go/freebsd/pulumi-plugin.json").read_text()
        assert json.loads(text)["version"] == version


def test_sdks_build():
    r = subprocess.run([str(REPO / "scripts" / "build-sdks")], capture_output=True, text=True, timeout=1200)
    assert r.returncode == 0, r.stdout + r.stderr
    tgz = list((REPO / "sdk/nodejs/bin").glob("*.tgz"))
    assert len(tgz) == 1, tgz
    assert (REPO / "sdk/nodejs/bin/index.js").is_file() and (REPO / "sdk/nodejs/bin/index.d.ts").is_file()
