"""The main stack: the tutorial's ZFS tree for jails.

Everything that differs between environments (the host, the pool, the mountpoint) comes from
stack config; see Pulumi.demo.yaml and Pulumi.prod.yaml.
"""
import pulumi
import pulumi_freebsd as freebsd

cfg = pulumi.Config()
root = cfg.get("jailsDataset") or "zroot/jails"
mountpoint = cfg.get("jailsMountpoint") or "/jails"
compression = cfg.get("compression") or "lz4"

# zfs create -p zroot/jails/templates; zfs create zroot/jails/containers;
# zfs set mountpoint=/jails zroot/jails
jails = freebsd.ZfsDataset("jails", name=root,
                           properties={"mountpoint": mountpoint, "compression": compression})
templates = freebsd.ZfsDataset("templates", name=jails.name.apply(lambda n: f"{n}/templates"))
containers = freebsd.ZfsDataset("containers", name=jails.name.apply(lambda n: f"{n}/containers"))

pulumi.export("jailsMountpoint", jails.mountpoint)
pulumi.export("templatesMountpoint", templates.mountpoint)
pulumi.export("containersMountpoint", containers.mountpoint)
