"""The GitHub Actions workflows in .github/workflows/ are linted with actionlint
(built from the Go module proxy by scripts/build-actionlint, cached), and the PR
preview workflow is checked to run Pulumi's own action on the stock CLI.

actionlint's shellcheck and pyflakes integrations are switched off (`-shellcheck=`
`-pyflakes=`) so the result does not depend on what else is installed.
"""

from __future__ import annotations

import os
import re
import subprocess
import textwrap
from pathlib import Path

import pytest
import yaml

REPO = Path(__file__).resolve().parents[2]
WORKFLOWS = REPO / ".github" / "workflows"
PREVIEW = WORKFLOWS / "preview.yml"
BUILD = REPO / "scripts" / "build-actionlint"

# The inputs of pulumi/actions v7 (its action.yml). actionlint knows the inputs of
# pulumi/actions only up to v6, so for v7 this list is the check that no input is misspelt.
PULUMI_ACTION_INPUTS = {
    "command", "stack-name", "pulumi-version", "pulumi-version-file", "work-dir",
    "comment-on-pr", "comment-on-pr-number", "comment-on-summary", "github-token",
    "cloud-url", "secrets-provider", "parallel", "message", "config-map",
    "expect-no-changes", "diff", "replace", "exclude", "exclude-dependents", "target",
    "target-dependents", "policyPacks", "policyPackConfigs", "refresh", "upsert", "remove",
    "edit-pr-comment", "color", "exclude-protected", "plan", "suppress-outputs",
    "suppress-progress", "always-include-summary", "continue-on-error", "log-verbosity",
    "log-flow", "debug",
}


def workflow_files() -> list[Path]:
    return sorted(p for p in WORKFLOWS.iterdir() if p.suffix in (".yml", ".yaml"))


@pytest.fixture(scope="module")
def actionlint() -> str:
    # A cold build takes ~10-60 s (module downloads + compile); cached runs return at once.
    proc = subprocess.run(
        [str(BUILD)], cwd=REPO, capture_output=True, text=True, timeout=1200
    )
    assert proc.returncode == 0, f"build-actionlint failed:\n{proc.stderr[-4000:]}"
    path = proc.stdout.strip().splitlines()[-1]
    assert os.access(path, os.X_OK), path
    return path


def run_actionlint(binary: str, *files: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [binary, "-no-color", "-shellcheck=", "-pyflakes=", *map(str, files)],
        cwd=REPO, capture_output=True, text=True, timeout=300,
    )


def test_build_actionlint_is_cached(actionlint: str) -> None:
    proc = subprocess.run([str(BUILD)], cwd=REPO, capture_output=True, text=True, timeout=60)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.strip().splitlines()[-1] == actionlint
    assert "go install" not in proc.stderr  # the fast path, no rebuild


def test_workflows_exist() -> None:
    assert PREVIEW in workflow_files()


@pytest.mark.parametrize("wf", workflow_files(), ids=lambda p: p.name)
def test_actionlint_clean(actionlint: str, wf: Path) -> None:
    proc = run_actionlint(actionlint, wf)
    assert proc.returncode == 0, f"actionlint {wf.name}:\n{proc.stdout}{proc.stderr}"


def test_actionlint_detects_errors(actionlint: str, tmp_path: Path) -> None:
    """The linter really lints: a broken workflow must fail (else the test above proves nothing)."""
    wf_dir = tmp_path / ".github" / "workflows"
    wf_dir.mkdir(parents=True)
    bad = wf_dir / "bad.yml"
    bad.write_text(textwrap.dedent(
        """\
        name: bad
        on:
          pull_request:
            branchs: [main]
        jobs:
          x:
            runs-on: ubuntu-latest
            steps:
              - uses: actions/checkout@v4
                with:
                  no-such-input: 1
              - run: echo "${{ github.event.pull_request.nosuchthing.title }}"
              - run: echo "${{ secrets }}"
              - uses: actions/setup-python@v5
                with:
                  python-version: 3.10
                  not-an-input: yes
        """
    ))
    proc = run_actionlint(actionlint, bad)
    assert proc.returncode != 0, proc.stdout
    out = proc.stdout
    # One of each kind: an unknown `on:` key, an unknown action input.
    assert "branchs" in out, out
    assert "no-such-input" in out or "not-an-input" in out, out


def _preview_steps() -> list[dict]:
    doc = yaml.safe_load(PREVIEW.read_text())
    steps: list[dict] = []
    for job in doc["jobs"].values():
        steps.extend(job.get("steps") or [])
    return steps


def test_preview_uses_pulumi_action() -> None:
    steps = _preview_steps()
    pulumi_steps = [s for s in steps if str(s.get("uses", "")).startswith("pulumi/actions@")]
    assert pulumi_steps, "preview.yml must use pulumi/actions"
    for s in pulumi_steps:
        major = re.fullmatch(r"pulumi/actions@v(\d+)(\.\d+)*", s["uses"])
        assert major and int(major.group(1)) >= 6, s["uses"]
        unknown = set(s.get("with") or {}) - PULUMI_ACTION_INPUTS
        assert not unknown, f"unknown pulumi/actions inputs: {unknown}"

    previews = [s for s in pulumi_steps if (s.get("with") or {}).get("command") == "preview"]
    assert len(previews) == 1, "exactly one pulumi/actions step with command: preview"
    w = previews[0]["with"]
    assert w["stack-name"] == "prod"
    assert str(w["work-dir"]) in (".", "./")
    for flag in ("refresh", "diff", "comment-on-pr"):
        assert str(w[flag]).lower() == "true", flag
    assert "github-token" in w
    env = previews[0].get("env") or {}
    assert "secrets.PULUMI_CONFIG_PASSPHRASE" in str(env.get("PULUMI_CONFIG_PASSPHRASE"))
    assert "secrets.PULUMI_STATE_URL" in str(env.get("PULUMI_BACKEND_URL"))


def test_preview_uses_stock_cli_and_dist_plugin() -> None:
    text = PREVIEW.read_text()
    steps = _preview_steps()
    runs = "\n".join(str(s.get("run", "")) for s in steps)
    uses = [str(s.get("uses", "")) for s in steps]
    # The CLI comes from the action, not from a source build on the runner.
    assert "build-pulumi" not in text
    assert "pulumi-cli" not in runs
    assert "scripts/pulumi" not in runs
    assert not any(u.startswith("actions/setup-go@") for u in uses), uses
    # The plugin is installed from `make dist`'s archive, as a user would.
    assert "make dist" in runs
    assert "make -s version" in runs
    assert re.search(r"pulumi plugin install resource freebsd .*--file .*dist/", runs, re.S), runs
    assert "pulumi install" in runs
    # Permissions stay minimal.
    doc = yaml.safe_load(text)
    assert doc["permissions"] == {"contents": "read", "pull-requests": "write"}


def test_make_dist_does_not_build_the_cli() -> None:
    """The preview job runs `make dist` on a stock GitHub runner: no recipe it pulls in may build
    the Pulumi CLI from source (scripts/build-pulumi needs ../shared/vendor, absent there)."""
    proc = subprocess.run(
        ["make", "-n", "-B", "dist"], cwd=REPO, capture_output=True, text=True, timeout=60
    )
    assert proc.returncode == 0, proc.stderr
    assert "build-pulumi" not in proc.stdout, (
        "`make dist` (run by preview.yml) would build the CLI:\n" + proc.stdout
    )


def test_preview_cli_version_matches_build_pulumi() -> None:
    """The CLI the preview installs is the one the test suite builds (scripts/build-pulumi)."""
    build_pulumi = REPO / "scripts" / "build-pulumi"
    m = build_pulumi.exists() and re.search(r"^VERSION=v(\S+)$", build_pulumi.read_text(), re.M)
    if not m:
        pytest.skip("scripts/build-pulumi has no VERSION= pin")
    versions = {
        str((s.get("with") or {}).get("pulumi-version"))
        for s in _preview_steps()
        if str(s.get("uses", "")).startswith("pulumi/actions@")
    }
    assert versions == {m.group(1)}, versions
