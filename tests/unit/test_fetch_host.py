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
