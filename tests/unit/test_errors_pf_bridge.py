"""errors.classify on the failures PfRuleset and Bridge decide on, with FreeBSD's own messages
(pfctl(8), kldunload(8), ifconfig(8), sysrc(8), lockf(1)): the resources tolerate these types,
never the text."""
from __future__ import annotations

import pytest

from freebsd_provider.errors import (CommandFailed, InterfaceMissing, LockTimeout, ModuleBusy,
                                     ModuleNotLoaded, NoSuchFile, PfAlreadyEnabled, PfNotEnabled,
                                     UnknownVariable, classify)
from freebsd_provider.host import facts, ifconfig, kld, pfctl, rcconf, sysrc
from freebsd_provider.ssh import Result, join_argv


def result(argv, err, code=1, out=""):
    return Result(argv, join_argv(argv), code, out, err)


def failed(argv, err, code=1, out=""):
    return classify(result(argv, err, code, out))


@pytest.mark.parametrize("argv,err,kind", [
    # sbin/pfctl/pfctl.c pfctl_enable(): errx(1, "pf already enabled") on EEXIST
    (pfctl.enable(), "pfctl: pf already enabled\n", PfAlreadyEnabled),
    # pfctl_disable(): errx(1, "pf not enabled") on ENOENT
    (pfctl.disable(), "pfctl: pf not enabled\n", PfNotEnabled),
    # open("/dev/pf") fails with ENOENT while pf.ko is not loaded: any pfctl command
    (pfctl.disable(), "pfctl: /dev/pf: No such file or directory\n", ModuleNotLoaded),
    (pfctl.show("info"), "pfctl: /dev/pf: No such file or directory\n", ModuleNotLoaded),
    (pfctl.show("rules", "jails"), "pfctl: /dev/pf: No such file or directory\n", ModuleNotLoaded),
    # a rejected ruleset is pfctl's own message, not a missing file or module
    (pfctl.check_file("/etc/pf.conf.pulumi-new"),
     "/etc/pf.conf.pulumi-new:7: syntax error\npfctl: Syntax error in config file: pf rules not loaded\n",
     CommandFailed),
    (pfctl.load("/etc/pf.conf"), "pfctl: /etc/pf.conf: No such file or directory\n", NoSuchFile),
    # sbin/kldunload/kldunload.c: errx(1, "can't find file %s"); the module refusing: EBUSY
    (kld.unload("pf"), "kldunload: can't find file pf\n", ModuleNotLoaded),
    (kld.unload("if_bridge"), "kldunload: can't unload file: Device busy\n", ModuleBusy),
    # sbin/ifconfig: errx(1, "interface %s does not exist")
    (ifconfig.destroy("bridge0"), "ifconfig: interface bridge0 does not exist\n", InterfaceMissing),
    (ifconfig.deletem("bridge0", "vtnet0"), "ifconfig: interface bridge0 does not exist\n", InterfaceMissing),
    # a member that is not in the bridge: the ioctl's errno, no type of its own
    (ifconfig.deletem("bridge0", "epair0a"), "ifconfig: BRDGDEL epair0a: Invalid argument\n", CommandFailed),
    # usr.sbin/sysrc: "unknown variable '%s'" for -x of a variable that is not set
    (sysrc.delete("pf_rules"), "sysrc: unknown variable 'pf_rules'\n", UnknownVariable),
    (sysrc.delete("pf_enable"), "sysrc: unknown variable 'pf_enable'\n", UnknownVariable),
])
def test_classify(argv, err, kind):
    got = failed(argv, err)
    assert type(got) is kind, (argv, err, type(got))


def test_rc_conf_edit_lock_timeout():
    # lockf(1) exits EX_TEMPFAIL (75) when the host-side lock stays busy
    argv = rcconf.edit(["add:cloned_interfaces=bridge0"])
    assert type(failed(argv, "lockf: /var/run/pulumi-freebsd.lock: already locked\n", code=75)) is LockTimeout


def test_pf_facts_read_a_missing_module_as_off():
    gone = "pfctl: /dev/pf: No such file or directory\n"
    assert facts.pf_enabled().parse(result(pfctl.show("info"), gone)) is False
    assert facts.pf_loaded("rules").parse(result(pfctl.show("rules"), gone)) is None
    with pytest.raises(CommandFailed):
        facts.pf_enabled().parse(result(pfctl.show("info"), "pfctl: DIOCGETSTATUS: Operation not permitted\n"))


def test_bridge_facts_read_failures_as_none():
    # route(8) without a default route; the member_ifaddrs OID while if_bridge is not loaded
    assert ifconfig.default_route().parse(
        result(ifconfig.route_get_default(), "route: route has not been found\n")) == (None, None)
    assert ifconfig.member_ifaddrs().parse(
        result(ifconfig.sysctl_get(ifconfig.MEMBER_IFADDRS),
               "sysctl: unknown oid 'net.link.bridge.member_ifaddrs'\n")) is None
    assert ifconfig.member_ifaddrs().parse(
        result(ifconfig.sysctl_get(ifconfig.MEMBER_IFADDRS), "", code=0, out="1\n")) == "1"
    assert pfctl.parsed_file("/etc/pf.conf").parse(
        result(pfctl.parsed_rules("/etc/pf.conf"), "pfctl: /etc/pf.conf: No such file or directory\n")) is None
