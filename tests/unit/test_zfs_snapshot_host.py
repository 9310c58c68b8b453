"""Fixture tests of the zfs snapshot fact (builders and parse_get on `-t snapshot` output)."""
from __future__ import annotations

import json
import pathlib

import pytest

from freebsd_provider.errors import DatasetMissing
from freebsd_provider.host import zfs
from freebsd_provider.ssh import Result

FIX = pathlib.Path(__file__).parent / "fixtures" / "zfs_snapshot"
CASES = sorted(FIX.glob("*.json"))


@pytest.mark.parametrize("path", CASES, ids=[p.stem for p in CASES])
def test_fixture(path):
    case = json.loads(path.read_text())
    if "builder" in case:
        assert getattr(zfs, case["builder"])(*case["args"], **case["kwargs"]) == case["argv"]
        return
    got = {}
    for name, ds in zfs.parse_get(case["output"]).items():
        got[name] = {p: v.value for p, v in ds.props.items()}
        got[name]["clones"] = zfs.clones_list(got[name].get("clones", ""))
    assert got == case["result"]


def test_split_snapshot():
    assert zfs.split_snapshot("zroot/a@s") == ("zroot/a", "s")
    for bad in ("zroot/a", "@s", "zroot/a@"):
        with pytest.raises(ValueError):
            zfs.split_snapshot(bad)


@pytest.mark.parametrize("snap,ok", [("15.0-RELEASE", True), ("before-update", True), ("a:b.c_d", True),
                                     ("", False), ("a@b", False), ("a/b", False), ("a b", True),
                                     ("a;b", False), ("$(x)", False), ("..", False)])
def test_snapshot_component(snap, ok):
    assert (zfs.snapshot_component_error(snap) is None) is ok


def test_snapshot_fact_and_read_of_one():
    assert list(zfs.snapshots().argv) == zfs.get_snapshots()
    assert zfs.get_snapshots(["zroot/a@s"]) == zfs.get_snapshots() + ["zroot/a@s"]
    got = zfs.snapshots().parse(Result(zfs.get_snapshots(), "", 0,
                                       "zroot/a@s\tused\t0\t-\nzroot/a@s\tclones\tzroot/b,zroot/c\t-\n", ""))
    assert zfs.clones_list(got["zroot/a@s"].value("clones")) == ["zroot/b", "zroot/c"]
    with pytest.raises(DatasetMissing):
        zfs.snapshots().parse(Result(zfs.get_snapshots(), "", 1, "", "cannot open 'zroot': dataset does not exist\n"))


@pytest.mark.parametrize("snap,err", [
    ("15.0-RELEASE", None), ("before upgrade", None),
    ("-r", "invalid snapshot name '-r': must not start with '-'"),
    (" 15.0", "invalid snapshot name ' 15.0': it must not be blank or start or end with a space"),
    (" ", "invalid snapshot name ' ': it must not be blank or start or end with a space"),
    ("a;b", "invalid snapshot name 'a;b': invalid character ';' in name"),
])
def test_snapshot_name_error(snap, err):
    assert zfs.snapshot_name_error(snap) == err
