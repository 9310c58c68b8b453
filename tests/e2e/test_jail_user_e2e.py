"""JailUser end to end with the real pulumi CLI on a YAML program (no SDK): up, no-op preview,
drift repaired by `up --refresh`, an update in place, import, delete, destroy."""
from __future__ import annotations

import json
import pathlib
import sys
import textwrap

import pytest

from project import REPO, Project

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parents[1] / "provider"))
from jailhelp import drop_jail, make_jail  # noqa: E402

pytestmark = [pytest.mark.e2e, pytest.mark.testbed]

J = "e2euser"

PROGRAM = f"""\
name: jailuser-e2e
runtime: yaml
plugins:
  providers:
    - name: freebsd
      path: {REPO / 'provider'}
config:
  jail:
    type: string
  shell:
    type: string
    default: /bin/sh
resources:
  app:
    type: freebsd:index:JailUser
    properties:
      jail: ${{jail}}
      name: app
      comment: App user
      groups: [staff]
      shell: ${{shell}}
outputs:
  uid: ${{app.uid}}
"""


def passwd(testbed, name):
    r = testbed.exec("jexec", J, "pw", "usershow", "-n", name, "-7", check=False)
    return r.stdout.strip() if r.returncode == 0 else None


def test_jail_user_end_to_end(tmp_path, testbed, backend):
    make_jail(testbed, J)
    try:
        root = tmp_path / "jailuser-e2e"
        root.mkdir()
        (root / "Pulumi.yaml").write_text(textwrap.dedent(PROGRAM))
        p = Project(root, "e2e-jailuser", backend)
        p.init(testbed)
        p.config("jailuser-e2e:jail", J)

        r = p.up()
        assert "+ 2 created" in r.stdout, r.stdout  # the stack and the user
        uid = json.loads(p.pulumi("stack", "output", "--json").stdout)["uid"]
        assert passwd(testbed, "app") == f"app:*:{uid}:{uid}:App user:/home/app:/bin/sh"
        assert "app" in testbed.exec("jexec", J, "pw", "groupshow", "-n", "staff").stdout
        p.pulumi("preview", "--expect-no-changes")

        # changed by hand: refresh sees it, up repairs it
        testbed.exec("jexec", J, "pw", "usermod", "-n", "app", "-s", "/bin/csh", "-G", "")
        r = p.pulumi("preview", "--refresh", "--diff")
        assert "shell" in r.stdout and "groups" in r.stdout, r.stdout
        p.up("--refresh")
        assert passwd(testbed, "app").endswith(":/bin/sh")
        assert "app" in testbed.exec("jexec", J, "pw", "groupshow", "-n", "staff").stdout
        p.pulumi("preview", "--refresh", "--expect-no-changes")

        # a program change: update in place
        p.config("jailuser-e2e:shell", "/usr/sbin/nologin")
        r = p.up()
        assert "1 updated" in r.stdout, r.stdout
        assert passwd(testbed, "app").endswith(":/usr/sbin/nologin")

        # a user made by hand is imported, then deleted by the next up (not in the program)
        testbed.exec("jexec", J, "pw", "useradd", "-n", "adopted", "-c", "By hand")
        p.pulumi("import", "freebsd:index:JailUser", "adopted", f"{J}/adopted", "--yes",
                 "--protect=false", "--generate-code=false")
        res = p.resources("freebsd:index:JailUser")
        assert res["adopted"]["outputs"]["comment"] == "By hand"
        r = p.up()
        assert "1 deleted" in r.stdout, r.stdout
        assert passwd(testbed, "adopted") is None

        p.pulumi("destroy", "--yes", "--skip-preview")
        assert passwd(testbed, "app") is None
        p.pulumi("stack", "rm", "--yes", "--stack", "e2e-jailuser")
    finally:
        drop_jail(testbed, J)
