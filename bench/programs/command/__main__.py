"""The tutorial's steps as remote commands: the pulumi-command peer of bench/run.py.

Each step is one ``Command`` (bench/pulumi_command_standin: one new SSH connection per command,
create/delete, no read), with ``depends_on`` following the tutorial's order where a step needs
an earlier one; independent branches (the webserver and database jails' packages) run in parallel,
as a pulumi-command user would write them. Connection settings: the stack's ``freebsd:*`` config.
"""
import pulumi
from pulumi_command_standin import Command

c = pulumi.Config("freebsd")
conn = {"host": c.require("host"), "port": c.get_int("port") or 22, "user": c.get("user") or "root",
        "hostKey": c.require("hostKey"), "privateKey": c.require_secret("privateKey")}
conn = pulumi.Output.all(**conn)

REL = "15.0-RELEASE"
BASE_URL = f"https://download.freebsd.org/releases/amd64/{REL}/base.txz"
JAIL_CONF = r'''exec.start = "/bin/sh /etc/rc";
exec.stop = "/bin/sh /etc/rc.shutdown";
exec.clean;
mount.devfs;
allow.raw_sockets;
exec.consolelog = "/var/log/jail_${name}_console.log";
$bridge = "bridge0";
webserver {
host.hostname = "webserver";
path = "/jails/containers/webserver";
vnet;
vnet.interface = "epair1b";
exec.prestart = "/sbin/ifconfig epair1 create up";
exec.prestart += "/sbin/ifconfig bridge0 addm epair1a up";
exec.start += "/sbin/ifconfig epair1b 192.168.1.201/24 up";
exec.start += "/sbin/route add default 192.168.1.1";
exec.poststop = "/sbin/ifconfig bridge0 deletem epair1a";
exec.poststop += "/sbin/ifconfig epair1a destroy";
}
database {
host.hostname = "database";
path = "/jails/containers/database";
sysvshm = new;
sysvmsg = new;
sysvsem = new;
vnet;
vnet.interface = "epair2b";
exec.prestart = "/sbin/ifconfig epair2 create up";
exec.prestart += "/sbin/ifconfig bridge0 addm epair2a up";
exec.start += "/sbin/ifconfig epair2b 192.168.1.202/24 up";
exec.start += "/sbin/route add default 192.168.1.1";
exec.poststop = "/sbin/ifconfig bridge0 deletem epair2a";
exec.poststop += "/sbin/ifconfig epair2a destroy";
}
'''
PF_CONF = '''ext_if = "vtnet0"
bridge_if = "bridge0"
jail_webserver = "192.168.1.201"
jail_database = "192.168.1.202"
set skip on lo0
nat on $ext_if from { $jail_webserver, $jail_database } to any -> ($ext_if)
block in log all
pass out all keep state
pass in on $ext_if proto tcp to any port 22
pass in on $ext_if proto tcp to $jail_webserver port { 80, 443 }
pass in on $bridge_if proto tcp from $jail_webserver to $jail_database port 5432
pass inet proto icmp all
'''
PGDATA = "/var/db/postgres/data17"


def cmd(name, create, delete=None, deps=()):
    return Command(name, conn, create, delete,
                   opts=pulumi.ResourceOptions(depends_on=[d for d in deps if d is not None]))


def heredoc(path, text):
    return f"cat > {path} <<'EOF_BENCH'\n{text}EOF_BENCH"


epair = cmd("epair", "kldload -n if_epair && sysrc -f /boot/loader.conf if_epair_load=YES",
            "sysrc -f /boot/loader.conf -x if_epair_load")
# FreeBSD 15 refuses an addressed NIC as a bridge member unless net.link.bridge.member_ifaddrs=1
# (an if_bridge sysctl: it exists once bridge0 is created); the tutorial does not say so.
bridge = cmd("bridge", "ifconfig bridge0 create && sysctl net.link.bridge.member_ifaddrs=1 && "
             "echo net.link.bridge.member_ifaddrs=1 >> /etc/sysctl.conf && ifconfig bridge0 addm vtnet0 up && "
             "sysrc cloned_interfaces+=bridge0 && sysrc ifconfig_bridge0='addm vtnet0 up'",
             "ifconfig bridge0 destroy; sysrc cloned_interfaces-=bridge0; sysrc -x ifconfig_bridge0",
             [epair])
tree = cmd("zfs-tree", "zfs create -p zroot/jails/templates && zfs create zroot/jails/containers && "
           "zfs set mountpoint=/jails zroot/jails", "zfs destroy -r zroot/jails")
base = cmd("base", f"zfs create zroot/jails/templates/base && fetch -o /tmp/base.txz {BASE_URL} && "
           "tar -xf /tmp/base.txz -C /jails/templates/base && "
           "cp /etc/resolv.conf /jails/templates/base/etc/ && cp /etc/localtime /jails/templates/base/etc/",
           "zfs destroy -r zroot/jails/templates/base", [tree])
snap = cmd("snapshot", f"zfs snapshot zroot/jails/templates/base@{REL}",
           f"zfs destroy zroot/jails/templates/base@{REL}", [base])
clones = {j: cmd(f"clone-{j}", f"zfs clone zroot/jails/templates/base@{REL} zroot/jails/containers/{j}",
                 f"zfs destroy zroot/jails/containers/{j}", [snap]) for j in ("webserver", "database")}
jailconf = cmd("jail-conf", heredoc("/etc/jail.conf", JAIL_CONF), "rm -f /etc/jail.conf")
enable = cmd("jail-enable", "sysrc jail_enable=YES && sysrc jail_parallel_start=YES",
             "sysrc -x jail_enable jail_parallel_start")
jails = cmd("jails-start", "service jail start", "service jail stop",
            [bridge, jailconf, enable, *clones.values()])

# webserver: nginx
ws_boot = cmd("webserver-pkg-bootstrap", "jexec webserver env ASSUME_ALWAYS_YES=yes pkg bootstrap", None, [jails])
nginx = cmd("nginx-install", "jexec webserver pkg install -y nginx", "jexec webserver pkg delete -y nginx", [ws_boot])
nginx_on = cmd("nginx-enable", "jexec webserver sysrc nginx_enable=YES", "jexec webserver sysrc -x nginx_enable", [nginx])
nginx_run = cmd("nginx-start", "jexec webserver service nginx start", "jexec webserver service nginx stop", [nginx_on])

# database: postgresql
db_boot = cmd("database-pkg-bootstrap", "jexec database env ASSUME_ALWAYS_YES=yes pkg bootstrap", None, [jails])
pg = cmd("postgresql-install", "jexec database pkg install -y postgresql17-server",
         "jexec database pkg delete -y postgresql17-server", [db_boot])
pg_on = cmd("postgresql-enable", "jexec database sysrc postgresql_enable=YES",
            "jexec database sysrc -x postgresql_enable", [pg])
pg_init = cmd("postgresql-initdb", "jexec database service postgresql initdb", None, [pg_on])
pg_start = cmd("postgresql-start", "jexec database service postgresql start",
               "jexec database service postgresql stop", [pg_init])
pg_conf = cmd("postgresql-listen", f"jexec database sh -c \"echo \\\"listen_addresses = '*'\\\" >> {PGDATA}/postgresql.conf\"",
              None, [pg_start])
pg_hba = cmd("postgresql-hba", f"jexec database sh -c \"echo \\\"host all all 192.168.1.0/24 md5\\\" >> {PGDATA}/pg_hba.conf\"",
             None, [pg_conf])
pg_restart = cmd("postgresql-restart", "jexec database service postgresql restart", None, [pg_hba])
pg_user = cmd("postgresql-user", "jexec database su -m postgres -c \"createuser -s testuser\"",
              "jexec database su -m postgres -c \"dropuser testuser\"", [pg_restart])
pg_pass = cmd("postgresql-password", "jexec database su -m postgres -c \"psql -c \\\"ALTER USER testuser PASSWORD 'testpass';\\\"\"",
              None, [pg_user])
pg_db = cmd("postgresql-db", "jexec database su -m postgres -c \"createdb -O testuser testdb\"",
            "jexec database su -m postgres -c \"dropdb testdb\"", [pg_pass])
client = cmd("postgresql-client", "jexec webserver pkg install -y postgresql17-client",
             "jexec webserver pkg delete -y postgresql17-client", [ws_boot])

# PF
pfconf = cmd("pf-conf", heredoc("/etc/pf.conf", PF_CONF), "rm -f /etc/pf.conf")
# the lock-down comes last, after both jails are set up (the tutorial's order, and the main
# stack's: its PfRuleset depends on the database role/db and nginx)
pf = cmd("pf-enable", "sysrc pf_enable=YES && kldload -n pf && pfctl -f /etc/pf.conf && pfctl -e",
         "pfctl -d; sysrc -x pf_enable", [pfconf, jails, pg_db, nginx_run, client])

pulumi.export("commands", 28)
