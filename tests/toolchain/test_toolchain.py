"""End-to-end tests of the Pulumi toolchain: scripts/pulumi, the CLI built by
scripts/build-pulumi and the official language hosts built beside it.

They run the real CLI on throw-away projects against a temporary file backend.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import textwrap
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
SCRIPT = REPO / "scripts" / "pulumi"
VERSION = "3.274.1"
HOSTS = ("python", "nodejs", "go", "yaml")


def _bindir() -> Path:
    r = subprocess.run([str(REPO / "scripts" / "build-pulumi")], capture_output=True, text=True, timeout=1800)
    assert r.returncode == 0, r.stderr
    return Path(r.stdout.strip().splitlines()[-1])


PROGRAM = textwrap.dedent(
    """
    import pulumi

    cfg = pulumi.Config()
    pulumi.export("x", 1)
    pulumi.export("greeting", cfg.get("greeting") or "none")
    token = cfg.get_secret("token")
    if token is not None:
        # Prove the secret arrived decrypted in the program, without exporting it in the clear.
        pulumi.export("token_len", token.apply(len))
        pulumi.export("token", token)
    if cfg.get_bool("fail"):
        raise RuntimeError("boom-from-program " + str(cfg.get("greeting")))
    """
)


@pytest.fixture()
def project(tmp_path: Path):
    proj = tmp_path / "proj"
    proj.mkdir()
    (proj / "Pulumi.yaml").write_text(
        textwrap.dedent(
            f"""
            name: lhtest
            runtime:
              name: python
              options:
                virtualenv: {REPO / '.venv'}
            """
        )
    )
    (proj / "__main__.py").write_text(PROGRAM)
    env = dict(os.environ)
    for k in ("PULUMI_CONFIG_PASSPHRASE", "PULUMI_CONFIG_PASSPHRASE_FILE", "PULUMI_STACK"):
        env.pop(k, None)
    backend = tmp_path / "backend"
    backend.mkdir()
    env["PULUMI_BACKEND_URL"] = f"file://{backend}"
    env["PULUMI_HOME"] = str(tmp_path / "home")

    def run(*args: str, check: bool = True) -> subprocess.CompletedProcess:
        proc = subprocess.run(
            [str(SCRIPT), "--cwd", str(proj), "--non-interactive", *args],
            env=env,
            capture_output=True,
            text=True,
            timeout=120,
        )
        if check and proc.returncode != 0:
            raise AssertionError(
                f"pulumi {' '.join(args)} failed ({proc.returncode}):\n{proc.stdout}\n{proc.stderr}"
            )
        return proc

    run("stack", "init", "test-lh")
    yield run


def test_up_preview_output_destroy(project):
    run = project
    run("config", "set", "-s", "test-lh", "greeting", "hello")
    run("config", "set", "-s", "test-lh", "--secret", "token", "s3cr3t-value")
    up = run("up", "-s", "test-lh", "--yes", "--skip-preview")
    assert "s3cr3t-value" not in up.stdout + up.stderr
    run("preview", "-s", "test-lh", "--expect-no-changes")
    # Without -s: the selected stack (set by `stack init`) also gets the testbed passphrase.
    run("preview", "--expect-no-changes")
    out = json.loads(run("stack", "output", "-s", "test-lh", "--json", "--show-secrets").stdout)
    assert out["x"] == 1
    assert out["greeting"] == "hello"
    assert out["token_len"] == len("s3cr3t-value")
    assert out["token"] == "s3cr3t-value"
    plain = json.loads(run("stack", "output", "-s", "test-lh", "--json").stdout)
    assert plain["token"] == "[secret]"
    run("destroy", "-s", "test-lh", "--yes", "--skip-preview")


def test_failing_program_reports_exception(project):
    run = project
    run("config", "set", "-s", "test-lh", "greeting", "hi")
    run("config", "set", "-s", "test-lh", "fail", "true")
    proc = run("up", "-s", "test-lh", "--yes", "--skip-preview", check=False)
    text = proc.stdout + proc.stderr
    assert proc.returncode != 0, text
    assert "boom-from-program hi" in text
    assert "RuntimeError" in text
    # Exit code 32 from the exec script means "error already shown" (bail): the
    # engine must not add a generic "non-zero exit code" error on top.
    assert "non-zero exit code" not in text


def test_testbed_passphrase_only_for_testbed_stacks(project):
    run = project
    # "prod" is not a testbed stack name: no passphrase is supplied for it.
    proc = run("stack", "init", "prod", check=False)
    assert proc.returncode != 0
    assert "passphrase" in (proc.stdout + proc.stderr).lower()


def test_official_language_hosts_beside_the_cli():
    bindir = _bindir()
    assert subprocess.run([str(bindir / "pulumi"), "version"], capture_output=True, text=True).stdout.strip() == f"v{VERSION}"
    for lang in HOSTS:
        assert os.access(bindir / f"pulumi-language-{lang}", os.X_OK), lang
    assert os.access(bindir / "pulumi-language-python-exec", os.X_OK)
    # Our own host and its codegen helper are gone for good.
    assert not (REPO / "scripts" / "langhost").exists()
    assert not (bindir / "pulumi-freebsd-pygen").exists()


def test_yaml_program_runs_on_the_official_yaml_host(tmp_path: Path):
    proj = tmp_path / "yamlproj"
    proj.mkdir()
    (proj / "Pulumi.yaml").write_text(textwrap.dedent("""\
        name: yamltest
        runtime: yaml
        outputs:
          greeting: hello from yaml
        """))
    env = {k: v for k, v in os.environ.items() if not k.startswith("PULUMI_CONFIG_PASSPHRASE")}
    env.update(PULUMI_BACKEND_URL=f"file://{tmp_path / 'backend'}", PULUMI_HOME=str(tmp_path / "home"))
    (tmp_path / "backend").mkdir()

    def run(*args: str) -> subprocess.CompletedProcess:
        r = subprocess.run([str(SCRIPT), "--cwd", str(proj), "--non-interactive", *args], env=env,
                           capture_output=True, text=True, timeout=120)
        assert r.returncode == 0, r.stdout + r.stderr
        return r

    run("stack", "init", "test-yaml")
    run("up", "--yes", "--skip-preview")
    assert json.loads(run("stack", "output", "--json").stdout) == {"greeting": "hello from yaml"}


def test_about_reports_the_official_host_and_the_programs_interpreter(project):
    # `pulumi about` lists the official Python host at the CLI's version and asks it About: the
    # program's virtualenv interpreter, its version and its pip.
    import platform
    text = project("about", "-s", "test-lh").stdout
    assert re.search(rf"^language\s+python\s+{re.escape(VERSION)}\s*$", text, re.M), text
    about = json.loads(project("about", "--json", "-s", "test-lh").stdout)
    lang = about.get("runtime") or about.get("language") or {}
    assert lang.get("language") == "python"
    assert lang.get("executable", "").endswith("/.venv/bin/python")
    assert lang.get("version") == platform.python_version()
    assert lang.get("toolchain") in ("Auto", "pip")  # the official host names the default "Auto"
