"""Fixture tests of the pkg argv builders, parsers and facts, spec validation, and JailPackage's
check, diff and jail-down path."""
from __future__ import annotations

import asyncio
import json
import pathlib

import pytest

from freebsd_provider import wire
from freebsd_provider.errors import CommandFailed, JailNotRunning
from freebsd_provider.host import pkg
from freebsd_provider.resources.jail_package import JailPackage, parse_id
from freebsd_provider.ssh import Result

FIX = pathlib.Path(__file__).parent / "fixtures" / "pkg"
CASES = sorted(FIX.glob("*.json"))


def _plain(v):
    if isinstance(v, pkg.PkgState):
        return {"bootstrapped": v.bootstrapped,
                "packages": {n: [i.version, i.automatic] for n, i in v.packages.items()}}
    if isinstance(v, dict):
        return {k: sorted(x) if isinstance(x, set) else x for k, x in v.items()}
    return v


@pytest.mark.parametrize("path", CASES, ids=[p.stem for p in CASES])
def test_fixture(path):
    case = json.loads(path.read_text())
    if "builder" in case:
        assert getattr(pkg, case["builder"])(*case["args"], **case["kwargs"]) == case["argv"]
    else:
        assert _plain(getattr(pkg, case["parser"])(case["output"])) == case["expected"]


def test_state_is_one_constant_script():
    argv = pkg.state("webserver")
    assert argv[:4] == ["/usr/sbin/jexec", "webserver", "/bin/sh", "-c"]
    assert "webserver" not in argv[4]


def test_parse_state_rejects_garbage():
    with pytest.raises(ValueError):
        pkg.parse_state("pkg: jail not found\n")
    with pytest.raises(ValueError):
        pkg.parse_state("")
    with pytest.raises(ValueError):
        pkg.parse_state("bootstrapped\nnospace\n")


@pytest.mark.parametrize("spec,split", [
    ("nginx", ("nginx", None)),
    ("nginx-1.28.0_3,3", ("nginx", "1.28.0_3,3")),
    ("postgresql17-server", ("postgresql17-server", None)),
    ("postgresql17-server-17.9", ("postgresql17-server", "17.9")),
    ("p5-Foo-Bar-1.0", ("p5-Foo-Bar", "1.0")),
    ("py311-pip-23.3.1", ("py311-pip", "23.3.1")),
])
def test_split_spec(spec, split):
    assert pkg.split_spec(spec) == split


@pytest.mark.parametrize("spec,ok", [
    ("nginx", True), ("postgresql17-server-17.9", True), ("gtk+3", True), ("p5-Foo-Bar", True),
    ("-y", False), ("--force", False), ("nginx; reboot", False), ("$(reboot)", False), ("", False),
    ("nginx 1", False), ("a\nb", False), ("nginx-1.0;x", False), ("pkg", False), ("pkg-2.4.2", False),
    ("ngin*", False), ("x" * 300, False),
])
def test_spec_error(spec, ok):
    assert (pkg.spec_error(spec) is None) is ok


@pytest.mark.parametrize("pin,live,ok", [
    (None, "1.28.0_3,3", True), ("1.28.0_3,3", "1.28.0_3,3", True), ("1.28.0", "1.28.0_3,3", True),
    ("1.28.0", "1.28.0,3", True), ("1.28", "1.28.0", False), ("1.28.1", "1.28.0_3,3", False),
])
def test_version_matches(pin, live, ok):
    assert pkg.version_matches(pin, live) is ok


def test_removable_never_takes_dependants():
    rdeps = {"postgresql17-client": {"postgresql17-server"}, "icu": {"postgresql17-server"}}
    go, kept = pkg.removable(["postgresql17-client"], rdeps)
    assert go == [] and kept == {"postgresql17-client": ["postgresql17-server"]}
    go, kept = pkg.removable(["postgresql17-server", "postgresql17-client", "icu"], rdeps)
    assert go == ["postgresql17-server", "postgresql17-client", "icu"] and kept == {}
    # a dependency kept because a kept package needs it
    rdeps2 = {"a": {"b"}, "b": {"c"}}
    go, kept = pkg.removable(["a", "b"], rdeps2)
    assert go == [] and set(kept) == {"a", "b"}


def test_validate_and_diff():
    r = JailPackage()
    inputs, failures = r.normalize_inputs({"jail": "webserver", "packages": ["nginx", "-f", "pkg"]})
    assert failures == [] and {f.property for f in r.op_validate(inputs)} == {"packages[1]", "packages[2]"}
    # the same package twice (with and without a pin): a rule across the items
    fails = {f.property: f.reason for f in r.op_validate({"jail": "w", "packages": ["nginx", "vim", "nginx-1.0"]})}
    assert fails == {"packages[2]": "package 'nginx' is declared twice (also packages[0])"}
    assert [f.property for f in r.op_validate({"jail": "w", "packages": []})] == ["packages"]
    assert r.op_validate({"jail": "bad name", "packages": ["nginx"]})[0].property == "jail"
    assert r.op_validate({"jail": "w", "packages": [wire.UNKNOWN, "nginx"]}) == []
    d = r.op_diff({"jail": "w", "packages": ["nginx", "vim"]}, {"jail": "w", "packages": ["curl", "nginx"]})
    assert list(d.changes) == ["packages"] and not d.changes["packages"].replace
    assert "installs curl" in d.changes["packages"].why and "deletes vim" in d.changes["packages"].why
    d = r.op_diff({"jail": "w", "packages": ["nginx"]}, {"jail": "w", "packages": ["nginx-1.28.0"]})
    assert d.changes["packages"].why == "re-pins nginx (in place)"
    assert not r.op_diff({"jail": "w", "packages": ["a", "b"]}, {"jail": "w", "packages": ["b", "a"]}).changes
    assert r.op_diff({"jail": "w", "packages": ["a"]}, {"jail": "x", "packages": ["a"]}).replaces == ["jail"]
    assert r.op_diff({"jail": "w", "packages": ["a"]}, {"jail": "w", "packages": wire.UNKNOWN}).changes[
        "packages"].why == "unknown until apply"


ST = "bootstrapped\npkg\t2.4.2\t0\nnginx\t1.28.0_3,3\t0\npcre2\t10.45\t1\n"


def test_install_helpers():
    st = pkg.parse_state(ST)
    assert pkg.installed_versions(["nginx-1.28.0", "vim"], st) == {"nginx": "1.28.0_3,3"}
    assert pkg.added_dependencies({"pkg"}, st, ["nginx"]) == ["pcre2"]
    assert pkg.added_dependencies({"pkg", "pcre2"}, st, ["nginx"]) == []
    assert pkg.install_problem(["nginx-1.28.0"], st, "w") is None
    assert pkg.install_problem(["vim"], st, "w") == "pkg reported success but vim is not installed in jail w"
    assert "nginx 1.29 was requested but jail w has nginx 1.28.0_3,3" in pkg.install_problem(["nginx-1.29"], st, "w")


def res(argv, code=0, out="", err=""):
    return Result(list(argv), " ".join(argv), code, out, err)


def test_dependants_fact():
    f = pkg.dependants("w")
    assert f.argv == tuple(pkg.reverse_deps("w"))
    assert f.parse(res(f.argv, 0, "pcre2\tnginx\n")) == {"pcre2": {"nginx"}}
    # pkg not bootstrapped: nothing installed, nothing depends on anything
    assert f.parse(res(f.argv, 1, err="jexec: execvp: /usr/local/sbin/pkg: No such file or directory\n")) == {}
    with pytest.raises(JailNotRunning):
        f.parse(res(f.argv, 1, err='jexec: jail "w" not found\n'))
    with pytest.raises(CommandFailed):
        f.parse(res(f.argv, 3, err="pkg: database locked\n"))


class FakeHost:
    def __init__(self, results):
        self.results = results

    async def get(self, f):
        return f.parse(self.results[tuple(f.argv)])

    async def get_many(self, *fs):
        return [await self.get(f) for f in fs]

    async def run_steps(self, steps, done=None):
        raise AssertionError("no step may run")

    async def log(self, message, severity="info"):
        self.logged = (severity, message)


class Ctx:
    def __init__(self, host):
        self.host = host


def test_jail_down():
    """A stopped jail: read raises JailNotRunning, so the server keeps what was known (a stopped
    jail is not a deleted package); create and update say the jail is not running, delete logs it."""
    down = 'jexec: jail "w" not found\n'
    host = FakeHost({tuple(a): res(a, 1, err=down) for a in (pkg.state("w"), pkg.reverse_deps("w"))})
    r = JailPackage()
    a = r.args({"jail": "w", "packages": ["nginx"]})
    b = r.args({"jail": "w", "packages": ["vim"]})
    st = r.state({"installed": {"nginx": "1.28.0"}})
    with pytest.raises(JailNotRunning):
        asyncio.run(r.read(Ctx(host), "w:nginx", a, st))
    for op in (lambda: r.create(Ctx(host), a), lambda: r.update(Ctx(host), "w:nginx", a, b, st),
               lambda: r.update(Ctx(host), "w:nginx", a, a, st)):
        with pytest.raises(RuntimeError, match="^jail w is not running: start it"):
            asyncio.run(op())
    asyncio.run(r.delete(Ctx(host), "w:nginx", a, st))
    assert host.logged == ("info", "jail w is not running: nothing to delete")


def test_ids():
    assert parse_id("webserver:nginx,postgresql17-client") == ("webserver", ["nginx", "postgresql17-client"])
    with pytest.raises(ValueError):
        parse_id("nginx")


def test_to_install():
    st = pkg.parse_state("bootstrapped\npkg\t2.4.2\t0\nnginx\t1.28.0_3,3\t0\npcre2\t10.45\t1\n")
    assert pkg.to_install(["nginx", "vim", "pcre2-10.45", "nginx-1.28.0"], st) == ["vim"]
    assert pkg.to_install(["nginx-1.29.0", "vim-9.1"], st) == ["nginx-1.29.0", "vim-9.1"]
    assert pkg.to_install(["nginx", "vim"], pkg.parse_state("not-bootstrapped\n")) == ["nginx", "vim"]


@pytest.mark.parametrize("installed,code", [
    (["pkg"], 0), ([], 0), (["pkg", "nginx"], 1), (["nginx"], 1), (None, 2),
])
def test_only_pkg_script(tmp_path, installed, code):
    """The constant script of ``only_pkg`` run by /bin/sh against a stand-in pkg."""
    import subprocess
    fake = tmp_path / "pkg"
    if installed is None:
        fake.write_text("#!/bin/sh\necho 'pkg: database locked' >&2\nexit 3\n")
    else:
        fake.write_text("#!/bin/sh\n[ \"$*\" = 'query -a %n' ] || exit 64\nprintf '%s\\n' "
                        + " ".join(installed) + "\n")
    fake.chmod(0o755)
    argv = pkg.only_pkg("webserver")
    assert argv[:4] == ["/usr/sbin/jexec", "webserver", "/bin/sh", "-c"] and len(argv) == 5
    script = argv[4]
    assert "webserver" not in script and script.count(pkg.PKG) == 1
    r = subprocess.run(["/bin/sh", "-c", script.replace(pkg.PKG, str(fake))], capture_output=True)
    assert r.returncode == code
