"""errors.classify on the failures of zfs(8), sysrc(8) and sysctl(8), with FreeBSD's own messages
(the resources decide on these types, never on the text)."""
from __future__ import annotations

import pytest

from freebsd_provider.errors import (AlreadyExists, CommandFailed, DatasetMissing, JailNotRunning,
                                     LockTimeout, NoSuchFile, UnknownVariable, classify)
from freebsd_provider.host import sysctl, sysrc, zfs
from freebsd_provider.ssh import Result, join_argv


def failed(argv, err, code=1, out=""):
    return classify(Result(argv, join_argv(argv), code, out, err))


@pytest.mark.parametrize("argv,err,kind", [
    # libzfs zfs_open(): "cannot open '%s': dataset does not exist"
    (zfs.get_all(names=["zroot/nope"]), "cannot open 'zroot/nope': dataset does not exist\n", DatasetMissing),
    (zfs.set_props("zroot/gone", {"atime": "off"}), "cannot open 'zroot/gone': dataset does not exist\n",
     DatasetMissing),
    (zfs.destroy("zroot/gone"), "cannot open 'zroot/gone': dataset does not exist\n", DatasetMissing),
    (zfs.get_snapshots(["zroot/a@s"]), "cannot open 'zroot/a@s': dataset does not exist\n", DatasetMissing),
    # zfs create / clone / snapshot of a taken name: EEXIST
    (zfs.create("zroot/x"), "cannot create 'zroot/x': dataset already exists\n", AlreadyExists),
    (zfs.clone("zroot/t@s", "zroot/x"), "cannot create 'zroot/x': dataset already exists\n", AlreadyExists),
    (zfs.snapshot("zroot/x@s", recursive=True),
     "cannot create snapshot 'zroot/x/child@s': dataset already exists\n"
     "no snapshots were created\n", AlreadyExists),
    # clones depending on a snapshot: no type of its own, zfs's message is shown as it is
    (zfs.destroy("zroot/x@s"), "cannot destroy 'zroot/x@s': snapshot has dependent clones\n"
     "use '-R' to destroy the following datasets:\nzroot/x-clone\n", CommandFailed),
    (zfs.destroy("zroot/lc"), "cannot destroy 'zroot/lc': filesystem has children\n"
     "use '-r' to destroy the following datasets:\nzroot/lc/child\n", CommandFailed),
    # a missing parent is not this dataset missing: "parent does not exist"
    (zfs.create("zroot/no/child"), "cannot create 'zroot/no/child': parent does not exist\n", CommandFailed),
    # usr.sbin/sysrc: "unknown variable '%s'" for -x of a variable that is not set
    (sysrc.delete("nginx_enable"), "sysrc: unknown variable 'nginx_enable'\n", UnknownVariable),
    (sysrc.delete("nginx_enable", jail="web"), "sysrc: unknown variable 'nginx_enable'\n", UnknownVariable),
    # sysrc -j runs jexec: a jail that is not running
    (sysrc.dump(file=sysrc.RC_CONF, jail="web"), 'jexec: jail "web" not found\n', JailNotRunning),
    (sysrc.set_value("x", "1", jail="web"), 'jexec: jail "web" not found\n', JailNotRunning),
    (sysrc.dump_file("/etc/missing.conf"), "sysrc: /etc/missing.conf: No such file or directory\n",
     NoSuchFile),
    # sysctl(8): a read-only OID, or a boot-time tunable
    (sysctl.set_value("kern.ostype", "Linux"), "sysctl: oid 'kern.ostype' is read only\n", CommandFailed),
    (sysctl.set_value("a.b", "1"), "sysctl: unknown oid 'a.b'\n", CommandFailed),
])
def test_classify(argv, err, kind):
    got = failed(argv, err)
    assert type(got) is kind, (argv, err, type(got))


def test_the_lock_timing_out_is_not_the_edit_failing():
    got = failed(sysrc.set_value("x", "1"), "lockf: /var/run/pulumi-freebsd.lock: already locked\n", code=75)
    assert type(got) is LockTimeout


def test_a_zfs_message_never_types_another_tool():
    # "dataset does not exist" from anything but zfs is not DatasetMissing
    got = failed(["/bin/echo"], "cannot open 'x': dataset does not exist\n")
    assert not isinstance(got, DatasetMissing)
