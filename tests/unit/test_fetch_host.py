"""Fixture tests of the base-system (fetch/tar) argv builders, parsers and validators."""
from __future__ import annotations

import json
import pathlib

import pytest

from freebsd_provider.host import fetch

FIX = pathlib.Path(__file__).parent / "fixtures" / "fetch"
CASES = sorted(FIX.glob("*.json"))


@pytest.mark.parametrize("path", CASES, ids=[p.stem for p in CASES])
def test_fixture(path):
    case = json.loads(path.read_text())
    if "argv" in case:
        assert getattr(fetch, case["builder"])(*case["args"], **case["kwargs"]) == case["argv"]
    elif "builder" in case:
        assert getattr(fetch, case["builder"])(*case["args"], **case["kwargs"]) == case["result"]
    else:
        assert getattr(fetch, case["parser"])(case["output"]) == case["result"]


@pytest.mark.parametrize("url,ok", [
    ("https://download.freebsd.org/releases", True),
    ("https://download.freebsd.org/releases/", True),
    ("http://ftp.de.freebsd.org/pub/FreeBSD/releases", True),
    ("https://mirror.example.com:8443/freebsd", True),
    ("ftp://ftp.freebsd.org/pub", False), ("file:///etc/passwd", False),
    ("https://user:pw@example.com/x", False), ("https://example.com/x?y=1", False),
    ("https://example.com/a b", False), ('https://example.com/"x', False),
    ("https://example.com/$(reboot)", False), ("https://example.com/`id`", False),
    ("https://example.com/x;reboot", False), ("https://", False), ("", False),
    ("https://example.com/../etc", False), ("https://exa mple.com", False),
    ("https://example.com:99999/", False), ("-o/etc/passwd", False),
    ("https://exаmple.com/", False),  # Cyrillic a
    ("https://example.com/\n", False),
])
def test_mirror_error(url, ok):
    assert (fetch.mirror_error(url) is None) is ok, fetch.mirror_error(url)


@pytest.mark.parametrize("rel,ok", [
    ("15.0-RELEASE", True), ("14.3-RELEASE", True), ("15.0-RC1", True), ("15.0-BETA2", True),
    ("15.0", False), ("15.0-RELEASE/../x", False), ("latest", False), ("", False),
    ("15.0-RELEASE;id", False),
])
def test_release_error(rel, ok):
    assert (fetch.release_error(rel) is None) is ok


@pytest.mark.parametrize("s,ok", [("base.txz", True), ("lib32.txz", True), ("base-dbg.txz", True),
                                  ("../base.txz", False), ("base.tar", False), ("-x.txz", False),
                                  ("a b.txz", False)])
def test_dist_set_error(s, ok):
    assert (fetch.dist_set_error(s) is None) is ok


@pytest.mark.parametrize("path,ok", [
    ("/jails/templates/base", True), ("/usr/local/jails/base", True), ("/jails/base", True),
    ("/", False), ("/jails", False), ("/usr", False), ("/etc/x", False), ("/usr/bin/x", False),
    ("/var/db/x", False), ("/boot/x", False), ("/usr/local", False), ("jails/base", False),
    ("/jails/../etc", False), ("/jails/base/", False), ("/jails/a b", False), ("/jails/$x", False),
])
def test_install_path_error(path, ok):
    assert (fetch.install_path_error(path) is None) is ok


def test_wipe_refuses_unsafe_paths():
    assert fetch.wipe("/jails/templates/base")[-1] == "/jails/templates/base"
    for bad in ("/", "/usr", "/etc/x"):
        with pytest.raises(ValueError):
            fetch.wipe(bad)


def test_remove_temp_dir_only_ours():
    with pytest.raises(ValueError):
        fetch.remove_temp_dir("/")


def test_arch_error():
    assert fetch.arch_error("amd64") is None
    assert "unsupported arch" in fetch.arch_error("x86")


# -- the constant scripts of the one-exec create/update/delete, run locally (POSIX sh) ---------

import subprocess  # noqa: E402


def run(argv) -> int:
    return subprocess.run(argv, capture_output=True).returncode


def test_temp_dir_name_is_private_and_random():
    a, b = fetch.temp_dir_name(), fetch.temp_dir_name()
    assert a != b and a.startswith("/tmp/pulumi-freebsd-base.") and len(a) == len(fetch.TEMP_PREFIX) + 8
    assert fetch.remove_temp_dir(a) == ["/bin/rm", "-rf", a]
    assert fetch.make_temp_dir_at(a) == ["/bin/mkdir", "-m", "0700", a]
    for bad in ("../x", "ab", "abcdefg/", "a b c d e"):
        with pytest.raises(ValueError):
            fetch.temp_dir_name(bad)
    with pytest.raises(ValueError):
        fetch.make_temp_dir_at("/tmp/x")


def test_create_guard(tmp_path):
    p = tmp_path / "base"
    assert run(fetch.create_guard(str(p))) == fetch.GUARD_NO_DIR
    p.mkdir()
    assert run(fetch.create_guard(str(p))) == 0
    (p / "var/db").mkdir(parents=True)
    (p / fetch.MARKER).write_text("")  # no KEY=VALUE line: parse_inspect sees no marker
    assert run(fetch.create_guard(str(p))) == 0
    (p / fetch.MARKER).write_text("release=15.0-RELEASE\n")
    assert run(fetch.create_guard(str(p))) == fetch.GUARD_INSTALLED
    (p / fetch.MARKER).unlink()
    (p / "bin").mkdir()
    (p / "bin/sh").write_text("")
    assert run(fetch.create_guard(str(p))) == fetch.GUARD_INSTALLED


def test_delete_guard(tmp_path):
    p = tmp_path / "base"
    assert run(fetch.delete_guard(str(p))) == fetch.GUARD_NOTHING
    p.mkdir()
    (p / "keep").write_text("x")
    assert run(fetch.delete_guard(str(p))) == fetch.GUARD_NOTHING
    (p / "bin").mkdir()
    (p / "bin/sh").write_text("")
    assert run(fetch.delete_guard(str(p))) == fetch.GUARD_FOREIGN
    (p / "var/db").mkdir(parents=True)
    (p / fetch.MARKER).write_text("release=15.0-RELEASE\n")
    assert run(fetch.delete_guard(str(p))) == 0
    (p / "bin/sh").unlink()
    assert run(fetch.delete_guard(str(p))) == 0  # the marker alone: still ours


def test_marker_scripts(tmp_path):
    p = tmp_path / "base"
    p.mkdir()
    text = fetch.marker_text("15.0-RELEASE", "amd64", ["base.txz"], "https://example.com/$(x)%s\\n")
    assert run(fetch.update_marker(str(p), text)) == 0
    assert not (p / fetch.MARKER).exists()  # no marker: update_marker writes none
    assert run(fetch.set_marker(str(p), text)) == 0
    assert (p / fetch.MARKER).read_text() == text
    text2 = fetch.marker_text("15.0-RELEASE", "amd64", ["base.txz"], "https://mirror.example.com/")
    assert run(fetch.update_marker(str(p), text2)) == 0
    assert (p / fetch.MARKER).read_text() == text2
    for argv in (fetch.set_marker(str(p), text), fetch.update_marker(str(p), text)):
        assert text not in argv[2] and str(p) not in argv[2]  # values only as parameters


def test_tree_fact_reads_the_inspection():
    from freebsd_provider.ssh import Result
    f = fetch.tree("/jails/t/base")
    assert list(f.argv) == fetch.inspect("/jails/t/base")
    out = ("#dir\nyes\n#sh\nyes\n#marker\nrelease=15.0-RELEASE\narch=amd64\nsets=base.txz\n"
           "#version\nUSERLAND_VERSION=\"15.0-RELEASE\"\n#resolv\nsame\n#localtime\ndiffer\n")
    got = f.parse(Result(list(f.argv), "", 0, out, ""))
    assert got["sh"] and got["release"] == "15.0-RELEASE" and got["marker"]["sets"] == "base.txz"
    assert got["resolv_same"] and not got["localtime_same"]
