"""Values check used to accept although no admin means them (look-alike letters, blank names,
65,536-character parameter names): refused at check, with the rule stated."""
from __future__ import annotations

import pytest

from freebsd_provider.resources.vnet_jail import VnetJail
from freebsd_provider.resources.zfs_snapshot import ZfsSnapshot

JAIL = dict(VnetJail.example)


def jail_failures(**kw):
    return {f.property: f.reason for f in VnetJail().op_validate({**JAIL, **kw})}


@pytest.mark.parametrize("h", ["ｗｅｂ", "wеb", "web-", "-web", "we_b", "a..b", "x" * 64, "a." * 127 + "b", ""])
def test_hostname_must_be_a_dns_name(h):
    reason = jail_failures(hostname=h)["hostname"]
    assert reason.startswith("invalid hostname")


@pytest.mark.parametrize("h", ["webserver", "web-1.example.org", "a", "x" * 63, "DB01"])
def test_dns_hostnames_pass(h):
    assert "hostname" not in jail_failures(hostname=h)


def test_overlong_allow_items_and_parameter_names():
    got = jail_failures(allow=["raw_sockets", "a" * 65536], parameters={"b" * 65536: "1"})
    assert got["allow[1]"].endswith("at most 128 characters")
    assert len(got["allow[1]"]) < 200
    key = next(k for k in got if k.startswith("parameters"))
    assert got[key].endswith("at most 128 characters") and len(got[key]) < 200
    assert "allow[0]" not in got


@pytest.mark.parametrize("snap", [" ", "  ", " 15.0", "15.0 ", "\t"])
def test_blank_or_padded_snapshot_names(snap):
    got = {f.property: f.reason for f in ZfsSnapshot().op_validate({"dataset": "zroot/x", "snapshotName": snap})}
    assert "snapshotName" in got, snap


def test_spaces_inside_a_snapshot_name_are_zfs_names():
    got = ZfsSnapshot().op_validate({"dataset": "zroot/x", "snapshotName": "before upgrade"})
    assert got == []
