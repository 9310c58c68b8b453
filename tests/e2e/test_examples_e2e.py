"""The tutorial in the other languages: examples/tutorial-yaml (Pulumi YAML) and
examples/tutorial-ts (TypeScript, the SDK from sdk/nodejs) with the real CLI, each on a testbed
of its own.

Each: a copy with absolute plugin/SDK paths (the TypeScript one `npm install`ed) → stack config
as Pulumi.demo.yaml's → the first `up` converges the whole tutorial (26 resources, no retry) →
`preview --expect-no-changes` → the Python main program, on that state and config, previews no
change either (same URNs, same inputs) → on the host: both jails in jls, the web jail reaches
PostgreSQL with the configured role, Nginx answers, PF holds the tutorial's rules with the jails'
addresses → destroy leaves the host as it was.
"""
from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import tempfile

import pytest
import yaml

from project import REPO, Project, snapshot

pytestmark = [pytest.mark.e2e, pytest.mark.testbed]

DB_PASSWORD = "e2e-pass-31337"
SDK_TGZ = "pulumi-freebsd-freebsd-0.2.0.tgz"


def copy_example(example: str, dest) -> str:
    """Copy examples/<example> to dest with absolute paths; return its project name."""
    shutil.copytree(REPO / "examples" / example, dest,
                    ignore=shutil.ignore_patterns("node_modules", "bin", "Pulumi.*.yaml"))
    pulumi_yaml = dest / "Pulumi.yaml"
    text = pulumi_yaml.read_text()
    assert "path: ../../provider" in text
    pulumi_yaml.write_text(text.replace("path: ../../provider", f"path: {REPO / 'provider'}"))
    return yaml.safe_load(text)["name"]


def npm_install(root) -> None:
    """The SDK tarball (scripts/build-sdks nodejs: a no-op when sdk/nodejs/bin is fresh), copied
    in at once; @pulumi/pulumi and typescript from npm, through the user's npm cache."""
    r = subprocess.run([str(REPO / "scripts" / "build-sdks"), "nodejs"], capture_output=True, text=True,
                       timeout=900)
    assert r.returncode == 0, r.stdout + r.stderr
    shutil.copy(REPO / "sdk" / "nodejs" / "bin" / SDK_TGZ, root / SDK_TGZ)
    pkg_file = root / "package.json"
    pkg = json.loads(pkg_file.read_text())
    assert pkg["dependencies"]["@pulumi-freebsd/freebsd"] == f"file:../../sdk/nodejs/bin/{SDK_TGZ}"
    pkg["dependencies"]["@pulumi-freebsd/freebsd"] = f"file:{root / SDK_TGZ}"
    pkg_file.write_text(json.dumps(pkg, indent=4) + "\n")
    env = {**os.environ, "npm_config_update_notifier": "false", "npm_config_fund": "false",
           "npm_config_audit": "false"}
    r = subprocess.run(["npm", "install", "--prefer-offline", "--loglevel=error"], cwd=root, env=env,
                       capture_output=True, text=True, timeout=600)
    assert r.returncode == 0, r.stdout + r.stderr


@pytest.mark.parametrize("lang", ["yaml", "ts"])
def test_example_tutorial(lang, tmp_path, backend):
    from tbhelper import Testbed
    state = tempfile.mkdtemp(prefix=f"tb-{lang}-")
    tb = Testbed(f"e2e-{lang}", os.path.join(state, f"e2e-{lang}"))
    try:
        tb.up()
        run_example(lang, tb, tmp_path, backend)
    finally:
        tb.down()
        shutil.rmtree(state, ignore_errors=True)


def same_as_python(p: Project, project: str, tmp_path, backend) -> None:
    """The main stack's Python program, given this stack's state and config under its own project
    name, previews no change: same resources (URNs), same inputs, same provider config."""
    main = Project.copy_of_main(tmp_path, p.stack, backend)
    text = (p.root / f"Pulumi.{p.stack}.yaml").read_text()  # same passphrase and salt
    (main.root / f"Pulumi.{p.stack}.yaml").write_text(text.replace(f"{project}:", "freebsd-jails:"))
    state = p.pulumi("stack", "export", "--stack", p.stack).stdout
    main.pulumi("stack", "init", p.stack)
    state = state.replace(f"::{project}::", "::freebsd-jails::")  # URNs
    state = state.replace(f"{project}-{p.stack}", f"freebsd-jails-{p.stack}")  # the Stack resource's name
    main.pulumi("stack", "import", "--stack", p.stack, stdin=state)
    main.pulumi("preview", "--expect-no-changes")


def run_example(lang, host, tmp_path, backend):
    stack = f"e2e-{lang}"
    root = tmp_path / lang
    project = copy_example(f"tutorial-{lang}", root)
    if lang == "ts":
        npm_install(root)
    before = snapshot(host)

    # The main stack's demo config under this project's name; the connection from testbed-stack.
    p = Project(root, stack, backend)
    conf = yaml.safe_load((REPO / "Pulumi.demo.yaml").read_text())["config"]
    conf = {f"{project}:{k.split(':', 1)[1]}": v for k, v in conf.items()
            if k.startswith("freebsd-jails:") and not (isinstance(v, dict) and "secure" in v)}
    (root / f"Pulumi.{stack}.yaml").write_text(yaml.safe_dump({"config": conf}))
    p.init(host)
    p.config(f"{project}:dbPassword", DB_PASSWORD, secret=True)

    # -- the first up converges the whole tutorial ---------------------------------------------
    r = p.up()
    assert "error" not in r.stdout.lower(), r.stdout
    assert "+ 26 created" in r.stdout, r.stdout
    out = json.loads(p.pulumi("stack", "output", "--json", "--stack", stack).stdout)
    assert out["webserver"]["address"] == ["192.168.1.201/24"] and out["webserver"]["hostEpair"] == "epair1a"
    assert out["database"]["address"] == ["192.168.1.202/24"] and out["database"]["hostEpair"] == "epair2a"
    assert set(out["nginxVersion"]) == {"nginx", "postgresql17-client"}, out
    assert set(out["postgresqlVersion"]) == {"postgresql17-server"}, out

    # -- the second preview: no change -----------------------------------------------------------
    p.pulumi("preview", "--expect-no-changes")

    # -- the same stack as the Python program's: on this state, it previews no change ------------
    same_as_python(p, project, tmp_path, backend)

    # -- the tutorial's result on the host --------------------------------------------------------
    jls = host.exec("jls", "-h", "jid", "name", "host.hostname", "path", "vnet").stdout
    assert re.search(r"^\d+ webserver webserver /jails/containers/webserver new$", jls, re.M), jls
    assert re.search(r"^\d+ database database /jails/containers/database new$", jls, re.M), jls
    psql = host.exec("sh", "-c", f"PGPASSWORD={DB_PASSWORD} jexec webserver /usr/local/bin/psql -h 192.168.1.202 "
                     "-U testuser -d testdb -c 'SELECT version();'").stdout
    assert "PostgreSQL 17.9 on amd64-portbld-freebsd15.0" in psql, psql
    assert "Welcome to nginx!" in host.exec("sh", "-c", "jexec webserver fetch -qo - http://localhost/").stdout
    rules = host.exec("pfctl", "-s", "rules").stdout
    assert "pass in on bridge0 inet proto tcp from 192.168.1.201 to 192.168.1.202 port = postgresql" in rules, rules
    assert "pass in on bridge0 inet proto tcp from any to 192.168.1.201 port = http" in rules, rules
    assert "nat on vtnet0 from <jails> to any -> (vtnet0)" in host.exec("pfctl", "-s", "nat").stdout
    # PF runs on the bridge (the stack's two Sysctl resources): the LAN reaches nginx, not PostgreSQL
    assert host.probe("192.168.1.201", 80) == "open"
    assert host.probe("192.168.1.202", 5432) == "filtered"
    assert host.probe("192.168.1.202", 5432, src="webserver") == "open"

    # -- destroy: the host is as it was -----------------------------------------------------------
    p.pulumi("destroy", "--yes", "--skip-preview")
    assert snapshot(host) == before
