"""The main stack: the FreeBSD 15 VNET jails tutorial, declared.

if_epair loaded and persisted; bridge0 over the uplink; the jails' ZFS tree; the release's base
system as a template with the host's resolv.conf and localtime; a snapshot of it; one thin clone
per jail; VNET jails on epairs with their own addresses and default route; Nginx in the web jail;
PostgreSQL 17 (with its own SysV IPC) in the database jail, listening on all addresses, with a
role and a database for the web jail; the PostgreSQL client in the web jail; PF run on the
bridge (two sysctls); and the tutorial's PF ruleset, with the addresses taken from the jails
rather than repeated and the bridged rules written for the bridge.

Everything that differs between environments comes from stack config (Pulumi.<stack>.yaml).
"""
import pulumi
import pulumi_freebsd as freebsd

cfg = pulumi.Config()
pool = cfg.get("pool") or "zroot"
jails_root = f"{pool}/jails"
jails_mountpoint = cfg.get("jailsMountpoint") or "/jails"
release = cfg.get("release") or "15.0-RELEASE"
arch = cfg.get("arch") or "amd64"
mirror = cfg.get("mirror") or "https://download.freebsd.org/releases"
uplink = cfg.get("uplink") or "vtnet0"
bridge_name = cfg.get("bridge") or "bridge0"
gateway = cfg.require("gateway")
subnet = cfg.require("subnet")  # e.g. 192.168.1.0/24, allowed by pg_hba
web_cfg = cfg.require_object("webserver")  # {"address": "192.168.1.201/24", "epair": "epair1"}
db_cfg = cfg.require_object("database")
db_user = cfg.get("dbUser") or "testuser"
db_name = cfg.get("dbName") or "testdb"
db_password = cfg.require_secret("dbPassword")
# FreeBSD 15 refuses an IP address on a bridge member unless net.link.bridge.member_ifaddrs=1;
# keeping the host's address on the uplink keeps SSH arriving on $ext_if, which the tutorial's
# PF rule `pass in on $ext_if ... port 22` expects.
member_ifaddrs = cfg.get_bool("memberIfaddrs")
member_ifaddrs = True if member_ifaddrs is None else member_ifaddrs

# -- kernel module and bridge -----------------------------------------------------------------
# kldload if_epair; echo 'if_epair_load="YES"' >> /boot/loader.conf
epair = freebsd.KernelModule("if_epair", name="if_epair", persist=True)

# ifconfig bridge0 create; ifconfig bridge0 addm vtnet0 up;
# sysrc cloned_interfaces+=bridge0; sysrc ifconfig_bridge0='addm vtnet0 up'
bridge = freebsd.Bridge("bridge", name=bridge_name, members=[uplink], up=True,
                        member_ifaddrs=member_ifaddrs)

# -- ZFS: the jails tree, the template and its snapshot ---------------------------------------
# zfs create -p zroot/jails/templates; zfs create zroot/jails/containers;
# zfs set mountpoint=/jails zroot/jails
jails_ds = freebsd.ZfsDataset("jails", name=jails_root, properties={"mountpoint": jails_mountpoint})
templates = freebsd.ZfsDataset("templates", name=jails_ds.name.apply(lambda n: f"{n}/templates"))
containers = freebsd.ZfsDataset("containers", name=jails_ds.name.apply(lambda n: f"{n}/containers"))
template = freebsd.ZfsDataset("template-base", name=templates.name.apply(lambda n: f"{n}/base"))

# fetch base.txz; tar -xf base.txz -C /jails/templates/base; cp /etc/resolv.conf /etc/localtime
base = freebsd.BaseSystem("base-system", path=template.mountpoint, release=release, arch=arch,
                          mirror=mirror, copy_resolv_conf=True, copy_localtime=True)

# zfs snapshot zroot/jails/templates/base@15.0-RELEASE
snapshot = freebsd.ZfsSnapshot("template-snapshot", dataset=template.name, snapshot_name=release,
                               opts=pulumi.ResourceOptions(depends_on=[base]))


def thin_jail(name: str, jc: dict, sysvipc=None) -> freebsd.VnetJail:
    # zfs clone zroot/jails/templates/base@15.0-RELEASE zroot/jails/containers/NAME
    root = freebsd.ZfsDataset(f"{name}-root", name=containers.name.apply(lambda n: f"{n}/{name}"),
                              origin=snapshot.name)
    # /etc/jail.conf.d/NAME.conf with vnet, epair hooks, address and default route;
    # sysrc jail_enable=YES jail_list+=NAME; service jail start NAME
    return freebsd.VnetJail(
        name, name=name, hostname=name, path=root.mountpoint, bridge=bridge.name,
        epair=jc.get("epair"), addresses=[jc["address"]], default_router=gateway,
        allow=["raw_sockets"], sysvipc=sysvipc, start_at_boot=True,
        opts=pulumi.ResourceOptions(depends_on=[epair]))


web = thin_jail("webserver", web_cfg)
# PostgreSQL needs SysV shared memory: sysvshm/sysvmsg/sysvsem = new
db = thin_jail("database", db_cfg, sysvipc="new")

# -- Nginx in the web jail ----------------------------------------------------------------------
# pkg bootstrap; pkg install -y nginx postgresql17-client
web_pkgs = freebsd.JailPackage("webserver-packages", jail=web.name,
                               packages=["nginx", "postgresql17-client"])
# sysrc nginx_enable=YES; service nginx start
nginx = freebsd.JailService("nginx", jail=web.name, service="nginx", enabled=True, running=True,
                            opts=pulumi.ResourceOptions(depends_on=[web_pkgs]))

# -- PostgreSQL 17 in the database jail ---------------------------------------------------------
db_pkgs = freebsd.JailPackage("database-packages", jail=db.name, packages=["postgresql17-server"])
pgdata = "/var/db/postgres/data17"
# sysrc postgresql_enable=YES; service postgresql initdb (once); service postgresql start
postgresql = freebsd.JailService(
    "postgresql", jail=db.name, service="postgresql", enabled=True, running=True,
    init_command=["initdb"], init_guard=f"{pgdata}/PG_VERSION",
    opts=pulumi.ResourceOptions(depends_on=[db_pkgs]))
# listen_addresses = '*' and pg_hba for the jails' subnet, then restart
listen = freebsd.JailFile("postgresql-listen", jail=db.name, path=f"{pgdata}/postgresql.conf",
                          lines=[{"line": "listen_addresses = '*'", "match": r"^#?listen_addresses\s*="}],
                          opts=pulumi.ResourceOptions(depends_on=[postgresql]))
hba = freebsd.JailFile("postgresql-hba", jail=db.name, path=f"{pgdata}/pg_hba.conf",
                       lines=[{"line": f"host all all {subnet} md5"}],
                       opts=pulumi.ResourceOptions(depends_on=[postgresql]))
# service postgresql restart, whenever either file changes
pg_restart = freebsd.JailCommand(
    "postgresql-restart", jail=db.name, create=["service", "postgresql", "restart"],
    triggers=[listen.sha256, hba.sha256], opts=pulumi.ResourceOptions(depends_on=[listen, hba]))

# The role and the database (guarded: each runs once)
role = freebsd.JailCommand(
    "db-role", jail=db.name, user="postgres",
    create=["createuser", "-s", db_user],
    unless=["sh", "-c", 'psql -tAc "SELECT 1 FROM pg_roles WHERE rolname=\'$1\'" | grep -q 1', "sh", db_user],
    delete=["dropuser", "--if-exists", db_user],
    opts=pulumi.ResourceOptions(depends_on=[pg_restart]))
password = freebsd.JailCommand(
    "db-role-password", jail=db.name, user="postgres",
    create=["psql", "-v", "ON_ERROR_STOP=1", "-q"],
    stdin=db_password.apply(lambda p: f"ALTER USER {db_user} PASSWORD '{p}';\n"),
    opts=pulumi.ResourceOptions(depends_on=[role]))
database = freebsd.JailCommand(
    "db-database", jail=db.name, user="postgres",
    create=["createdb", "-O", db_user, db_name],
    unless=["sh", "-c", 'psql -tAc "SELECT 1 FROM pg_database WHERE datname=\'$1\'" | grep -q 1', "sh", db_name],
    delete=["dropdb", "--if-exists", db_name],
    opts=pulumi.ResourceOptions(depends_on=[role]))


# -- PF on the bridge ---------------------------------------------------------------------------
# The jails sit on the uplink's LAN behind bridge0, so their traffic is *bridged*, not routed:
# the host's PF sees it only where if_bridge runs the packet filter. FreeBSD 15.0 runs it
# nowhere by default (net.link.bridge.pfil_member=0 and pfil_bridge=0, sys/net/if_bridge.c), so
# the tutorial's ruleset alone filters no jail traffic at all: every jail on the bridge and every
# machine on the LAN reaches PostgreSQL on 5432. With pfil_member=1 (the default before 15.0)
# it is the other way round: `block in log all` drops the web jail's own connection on its
# member epair, where the tutorial's `pass in on $bridge_if` rule never looks.
# So filter on the bridge interface, where that rule looks, and only there: pfil_bridge=1 and
# pfil_member=0, now and at boot (rc.d/sysctl_lastload applies them once bridge0 exists).
pfil_bridge = freebsd.Sysctl("bridge-pfil-bridge", name="net.link.bridge.pfil_bridge", value="1",
                             persist=True, opts=pulumi.ResourceOptions(depends_on=[bridge]))
pfil_member = freebsd.Sysctl("bridge-pfil-member", name="net.link.bridge.pfil_member", value="0",
                             persist=True, opts=pulumi.ResourceOptions(depends_on=[bridge]))


# -- PF: the tutorial's ruleset, addresses from the jails -----------------------------------------
def render_pf(args) -> str:
    ext_if, bridge_if, web_addrs, db_addrs = args
    web_ip = web_addrs[0].split("/")[0]
    db_ip = db_addrs[0].split("/")[0]
    return f"""# Macros
ext_if = "{ext_if}"
bridge_if = "{bridge_if}"
jail_webserver = "{web_ip}"
jail_database = "{db_ip}"
table <jails> const {{ $jail_webserver, $jail_database }}

# Options
set skip on lo0

# NAT for jails
nat on $ext_if from <jails> to any -> ($ext_if)

# Default deny inbound
block in log all
pass out all keep state

# Allow SSH to host (its address stays on $ext_if)
pass in on $ext_if proto tcp to any port 22

# Allow HTTP/HTTPS to webserver jail only (bridged from the LAN: seen on the bridge)
pass in on $bridge_if proto tcp to $jail_webserver port {{ 80, 443 }}

# Allow PostgreSQL only from webserver jail
pass in on $bridge_if proto tcp from $jail_webserver to $jail_database port 5432

# The jails' own traffic to the LAN and the internet (pkg, DNS), never to each other
pass in on $bridge_if from <jails> to ! <jails>

# Allow ICMP for diagnostics
pass inet proto icmp all
"""


pf = freebsd.PfRuleset(
    "pf", path="/etc/pf.conf", enable=True,
    rules=pulumi.Output.all(uplink, bridge.name, web.addresses, db.addresses).apply(render_pf),
    opts=pulumi.ResourceOptions(depends_on=[password, database, nginx, pfil_bridge, pfil_member]))

pulumi.export("webserver", {"jid": web.jid, "address": web.addresses, "hostEpair": web.host_epair})
pulumi.export("database", {"jid": db.jid, "address": db.addresses, "hostEpair": db.host_epair})
pulumi.export("nginxVersion", web_pkgs.installed)
pulumi.export("postgresqlVersion", db_pkgs.installed)
pulumi.export("pfRules", pf.loaded_rules)
