"""The 50-jail variant of bench/run.py: the tutorial's jail pattern, N times, on one host.

Config (namespace bench-many-jails): ``jailCount`` (default 50); ``withJails`` (default true):
false leaves out everything but the ZFS tree and the N container datasets (scenario
`datasets50`). With jails: if_epair, bridge0 over vtnet0, the template (base system, snapshot)
and per jail a thin clone and a VNET jail on epair<i> at 10.66.x.y/16 — the tutorial's
`thin_jail` from examples/tutorial/__main__.py, without packages/services.
"""
import pulumi
import pulumi_freebsd as freebsd

cfg = pulumi.Config()
n = cfg.get_int("jailCount") or 50
with_jails = cfg.get_bool("withJails")
with_jails = True if with_jails is None else with_jails

root = freebsd.ZfsDataset("jails", name="zroot/jails", properties={"mountpoint": "/jails"})
containers = freebsd.ZfsDataset("containers", name=root.name.apply(lambda r: f"{r}/containers"))

if not with_jails:
    for i in range(1, n + 1):
        name = f"jail{i:02d}"
        freebsd.ZfsDataset(name, name=containers.name.apply(lambda c, name=name: f"{c}/{name}"))
else:
    epair = freebsd.KernelModule("if_epair", name="if_epair", persist=True)
    bridge = freebsd.Bridge("bridge", name="bridge0", members=["vtnet0"], up=True, member_ifaddrs=True)
    templates = freebsd.ZfsDataset("templates", name=root.name.apply(lambda r: f"{r}/templates"))
    template = freebsd.ZfsDataset("template-base", name=templates.name.apply(lambda t: f"{t}/base"))
    base = freebsd.BaseSystem("base-system", path=template.mountpoint, release="15.0-RELEASE",
                              arch="amd64", copy_resolv_conf=True, copy_localtime=True)
    snapshot = freebsd.ZfsSnapshot("template-snapshot", dataset=template.name, snapshot_name="15.0-RELEASE",
                                   opts=pulumi.ResourceOptions(depends_on=[base]))
    for i in range(1, n + 1):
        name = f"jail{i:02d}"
        ds = freebsd.ZfsDataset(f"{name}-root", name=containers.name.apply(lambda c, name=name: f"{c}/{name}"),
                                origin=snapshot.name)
        freebsd.VnetJail(name, name=name, hostname=name, path=ds.mountpoint, bridge=bridge.name,
                         epair=f"epair{i}", addresses=[f"10.66.{i // 250}.{i % 250 + 1}/16"],
                         default_router="10.66.0.254", allow=["raw_sockets"], start_at_boot=True,
                         opts=pulumi.ResourceOptions(depends_on=[epair]))
pulumi.export("jails", n)
