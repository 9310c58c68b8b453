"""Fixture tests of the zfs argv builders and output parsers (one JSON file, one case)."""
from __future__ import annotations

import json
import pathlib

import pytest
from hypothesis import given, strategies as st

from freebsd_provider.host import zfs

FIX = pathlib.Path(__file__).parent / "fixtures" / "zfs"
CASES = sorted(FIX.glob("*.json"))


@pytest.mark.parametrize("path", CASES, ids=[p.stem for p in CASES])
def test_fixture(path):
    case = json.loads(path.read_text())
    if "builder" in case:
        assert getattr(zfs, case["builder"])(*case["args"], **case["kwargs"]) == case["argv"]
    else:
        parsed = getattr(zfs, case["parser"])(case["output"])
        got = {name: {p: [v.value, v.source] for p, v in ds.props.items()} for name, ds in parsed.items()}
        assert got == case["fact"]


def test_parse_get_rejects_garbage():
    with pytest.raises(ValueError):
        zfs.parse_get("not tab separated\n")


def test_local_properties_only_local():
    ds = zfs.parse_get((FIX / "get_inherited_and_default.json").read_text() and
                       json.loads((FIX / "get_inherited_and_default.json").read_text())["output"])["zroot/jails/templates"]
    assert ds.local_properties() == {"pulumi:managed": "yes"}


@pytest.mark.parametrize("name,err", [
    ("zroot/jails", None),
    ("zroot/jails/containers/web-server_1.a:b", None),
    ("", "a dataset name must not be empty"),
    ("/zroot/jails", "leading slash in name"),
    ("zroot/jails/", "trailing slash in name"),
    ("zroot//jails", "empty component or misplaced '@' or '#' delimiter in name"),
    ("zroot/ja;ils", "invalid character ';' in name"),
    ("zroot/$(reboot)", "invalid character '$' in name"),
    ("zroot/a\nb", "invalid character '\\n' in name"),
    ("zroot/..", "parent reference, '..' is found in name"),
    ("zroot/.", "self reference, '.' is found in name"),
    ("zroot/a@b", "snapshot delimiter '@' is not expected here"),
    ("zroot/a#b", "bookmark delimiter '#' is not expected here"),
    ("1pool/a", "pool doesn't begin with a letter"),
    ("zroot/" + "a" * 260, "name is too long (266 > 255 characters)"),
    ("zroot/jаils", "invalid character 'а' in name"),  # Cyrillic a
])
def test_dataset_name_errors(name, err):
    assert zfs.dataset_name_error(name) == err


def test_snapshot_names():
    assert zfs.dataset_name_error("zroot/a@s1", allow_snapshot="required") is None
    assert zfs.dataset_name_error("zroot/a", allow_snapshot="required") == "missing '@' delimiter in snapshot name"
    assert zfs.dataset_name_error("zroot/a@", allow_snapshot=True).startswith("empty component")
    assert zfs.dataset_name_error("zroot/a@b@c", allow_snapshot=True).startswith("multiple")


@pytest.mark.parametrize("prop,value,ok", [
    ("compression", "lz4", True), ("compression", "zstd-3", True), ("compression", "bogus", False),
    ("mountpoint", "/jails", True), ("mountpoint", "none", True), ("mountpoint", "jails", False),
    ("mountpoint", "/jails/../etc", False), ("quota", "10G", True), ("quota", "none", True),
    ("quota", "ten", False), ("recordsize", "128K", True), ("recordsize", "100K", False),
    ("atime", "off", True), ("atime", "maybe", False), ("com.example:role", "web; rm -rf /", True),
    ("com.example:role", "a\nb", False),
])
def test_property_values(prop, value, ok):
    assert (zfs.property_value_error(prop, value) is None) is ok


@pytest.mark.parametrize("prop,err", [
    ("used", "'used' is readonly"), ("foo", "invalid property 'foo'"), ("compression", None),
    ("com.example:role", None), ("Com.Example:Role", "invalid user property name 'Com.Example:Role': use lowercase letters, digits and '_' '.' ':' '-', in the form module:property"),
])
def test_property_names(prop, err):
    assert zfs.property_name_error(prop) == err


def test_values_equal_sizes():
    assert zfs.values_equal("quota", "10G", "10737418240")
    assert zfs.values_equal("quota", "none", "0")
    assert not zfs.values_equal("quota", "10G", "0")
    assert zfs.values_equal("compression", "lz4", "lz4")


@pytest.mark.parametrize("n,s", [(0, "0B"), (512, "512B"), (98304, "96K"), (2 << 30, "2G"),
                                 (int(30.5 * (1 << 30)), "30.5G"), (392167424, "374M"),
                                 (int(33.9 * (1 << 30)), "33.9G"), (106496, "104K")])
def test_nicebytes(n, s):
    assert zfs.nicebytes(n) == s


_ok_component = st.text(alphabet="abcdefghijklmnopqrstuvwxyz0123456789_.:-", min_size=1, max_size=20).filter(
    lambda s: s not in (".", ".."))


@given(st.lists(_ok_component, min_size=1, max_size=5))
def test_valid_names_accepted(parts):
    assert zfs.dataset_name_error("zroot/" + "/".join(parts)) is None


@given(st.text(min_size=1, max_size=40))
def test_names_with_shell_metacharacters_rejected(text):
    name = "zroot/" + text
    err = zfs.dataset_name_error(name)
    if any(c in text for c in ";|&$`<>\\\"'()\n\t*?[]{}!~#@\x00"):
        assert err is not None


@pytest.mark.parametrize("name,err", [
    ("zroot/jails", None),
    ("zroot", "'zroot' is a pool: manage datasets inside a pool, e.g. 'zroot/data'"),
    ("zroot/a;b", "invalid dataset name 'zroot/a;b': invalid character ';' in name"),
])
def test_filesystem_error(name, err):
    assert zfs.filesystem_error(name) == err


def test_origin_error():
    assert zfs.origin_error("zroot/t@s") is None
    assert zfs.origin_error("zroot/t") == "invalid snapshot name 'zroot/t': missing '@' delimiter in snapshot name"
