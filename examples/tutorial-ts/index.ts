// The main stack's program (examples/tutorial/__main__.py) in TypeScript: the FreeBSD 15 VNET
// jails tutorial, declared.
//
// if_epair loaded and persisted; bridge0 over the uplink; the jails' ZFS tree; the release's base
// system as a template with the host's resolv.conf and localtime; a snapshot of it; one thin clone
// per jail; VNET jails on epairs with their own addresses and default route; Nginx in the web jail;
// PostgreSQL 17 (with its own SysV IPC) in the database jail, listening on all addresses, with a
// role and a database for the web jail; the PostgreSQL client in the web jail; and the tutorial's
// PF ruleset, with the addresses taken from the jails rather than repeated.
//
// Everything that differs between environments comes from stack config (Pulumi.<stack>.yaml).
import * as pulumi from "@pulumi/pulumi";
import * as freebsd from "@pulumi-freebsd/freebsd";

interface JailConfig {
    address: string;  // e.g. 192.168.1.201/24
    epair?: string;   // e.g. epair1; unset: the provider allocates the lowest free one
}

const cfg = new pulumi.Config();
const pool = cfg.get("pool") ?? "zroot";
const jailsRoot = `${pool}/jails`;
const jailsMountpoint = cfg.get("jailsMountpoint") ?? "/jails";
const release = cfg.get("release") ?? "15.0-RELEASE";
const arch = cfg.get("arch") ?? "amd64";
const mirror = cfg.get("mirror") ?? "https://download.freebsd.org/releases";
const uplink = cfg.get("uplink") ?? "vtnet0";
const bridgeName = cfg.get("bridge") ?? "bridge0";
const gateway = cfg.require("gateway");
const subnet = cfg.require("subnet");  // e.g. 192.168.1.0/24, allowed by pg_hba
const webCfg = cfg.requireObject<JailConfig>("webserver");  // {"address": "192.168.1.201/24", "epair": "epair1"}
const dbCfg = cfg.requireObject<JailConfig>("database");
const dbUser = cfg.get("dbUser") ?? "testuser";
const dbName = cfg.get("dbName") ?? "testdb";
const dbPassword = cfg.requireSecret("dbPassword");
// FreeBSD 15 refuses an IP address on a bridge member unless net.link.bridge.member_ifaddrs=1;
// keeping the host's address on the uplink keeps SSH arriving on $ext_if, which the tutorial's
// PF rule `pass in on $ext_if ... port 22` expects.
const memberIfaddrs = cfg.getBoolean("memberIfaddrs") ?? true;

// -- kernel module and bridge ---------------------------------------------------------------------
// kldload if_epair; echo 'if_epair_load="YES"' >> /boot/loader.conf
const epair = new freebsd.KernelModule("if_epair", { name: "if_epair", persist: true });

// ifconfig bridge0 create; ifconfig bridge0 addm vtnet0 up;
// sysrc cloned_interfaces+=bridge0; sysrc ifconfig_bridge0='addm vtnet0 up'
const bridge = new freebsd.Bridge("bridge", { name: bridgeName, members: [uplink], up: true, memberIfaddrs });

// -- ZFS: the jails tree, the template and its snapshot -------------------------------------------
// zfs create -p zroot/jails/templates; zfs create zroot/jails/containers;
// zfs set mountpoint=/jails zroot/jails
const jailsDs = new freebsd.ZfsDataset("jails", { name: jailsRoot, properties: { mountpoint: jailsMountpoint } });
const templates = new freebsd.ZfsDataset("templates", { name: pulumi.interpolate`${jailsDs.name}/templates` });
const containers = new freebsd.ZfsDataset("containers", { name: pulumi.interpolate`${jailsDs.name}/containers` });
const template = new freebsd.ZfsDataset("template-base", { name: pulumi.interpolate`${templates.name}/base` });

// fetch base.txz; tar -xf base.txz -C /jails/templates/base; cp /etc/resolv.conf /etc/localtime
const base = new freebsd.BaseSystem("base-system", {
    path: template.mountpoint, release, arch, mirror, copyResolvConf: true, copyLocaltime: true,
});

// zfs snapshot zroot/jails/templates/base@15.0-RELEASE
const snapshot = new freebsd.ZfsSnapshot("template-snapshot", { dataset: template.name, snapshotName: release },
    { dependsOn: [base] });

function thinJail(name: string, jc: JailConfig, sysvipc?: string): freebsd.VnetJail {
    // zfs clone zroot/jails/templates/base@15.0-RELEASE zroot/jails/containers/NAME
    const root = new freebsd.ZfsDataset(`${name}-root`, {
        name: pulumi.interpolate`${containers.name}/${name}`, origin: snapshot.name,
    });
    // /etc/jail.conf.d/NAME.conf with vnet, epair hooks, address and default route;
    // sysrc jail_enable=YES jail_list+=NAME; service jail start NAME
    return new freebsd.VnetJail(name, {
        name, hostname: name, path: root.mountpoint, bridge: bridge.name,
        epair: jc.epair, addresses: [jc.address], defaultRouter: gateway,
        allow: ["raw_sockets"], sysvipc, startAtBoot: true,
    }, { dependsOn: [epair] });
}

const web = thinJail("webserver", webCfg);
// PostgreSQL needs SysV shared memory: sysvshm/sysvmsg/sysvsem = new
const db = thinJail("database", dbCfg, "new");

// -- Nginx in the web jail ------------------------------------------------------------------------
// pkg bootstrap; pkg install -y nginx postgresql17-client
const webPkgs = new freebsd.JailPackage("webserver-packages", {
    jail: web.name, packages: ["nginx", "postgresql17-client"],
});
// sysrc nginx_enable=YES; service nginx start
const nginx = new freebsd.JailService("nginx", { jail: web.name, service: "nginx", enabled: true, running: true },
    { dependsOn: [webPkgs] });

// -- PostgreSQL 17 in the database jail -----------------------------------------------------------
const dbPkgs = new freebsd.JailPackage("database-packages", { jail: db.name, packages: ["postgresql17-server"] });
const pgdata = "/var/db/postgres/data17";
// sysrc postgresql_enable=YES; service postgresql initdb (once); service postgresql start
const postgresql = new freebsd.JailService("postgresql", {
    jail: db.name, service: "postgresql", enabled: true, running: true,
    initCommand: ["initdb"], initGuard: `${pgdata}/PG_VERSION`,
}, { dependsOn: [dbPkgs] });
// listen_addresses = '*' and pg_hba for the jails' subnet, then restart
const listen = new freebsd.JailFile("postgresql-listen", {
    jail: db.name, path: `${pgdata}/postgresql.conf`,
    lines: [{ line: "listen_addresses = '*'", match: "^#?listen_addresses\\s*=" }],
}, { dependsOn: [postgresql] });
const hba = new freebsd.JailFile("postgresql-hba", {
    jail: db.name, path: `${pgdata}/pg_hba.conf`,
    lines: [{ line: `host all all ${subnet} md5` }],
}, { dependsOn: [postgresql] });
// service postgresql restart, whenever either file changes
const pgRestart = new freebsd.JailCommand("postgresql-restart", {
    jail: db.name, create: ["service", "postgresql", "restart"], triggers: [listen.sha256, hba.sha256],
}, { dependsOn: [listen, hba] });

// The role and the database (guarded: each runs once)
const role = new freebsd.JailCommand("db-role", {
    jail: db.name, user: "postgres",
    create: ["createuser", "-s", dbUser],
    unless: ["sh", "-c", `psql -tAc "SELECT 1 FROM pg_roles WHERE rolname='$1'" | grep -q 1`, "sh", dbUser],
    delete: ["dropuser", "--if-exists", dbUser],
}, { dependsOn: [pgRestart] });
const password = new freebsd.JailCommand("db-role-password", {
    jail: db.name, user: "postgres",
    create: ["psql", "-v", "ON_ERROR_STOP=1", "-q"],
    stdin: pulumi.interpolate`ALTER USER ${dbUser} PASSWORD '${dbPassword}';\n`,
}, { dependsOn: [role] });
const dbDatabase = new freebsd.JailCommand("db-database", {
    jail: db.name, user: "postgres",
    create: ["createdb", "-O", dbUser, dbName],
    unless: ["sh", "-c", `psql -tAc "SELECT 1 FROM pg_database WHERE datname='$1'" | grep -q 1`, "sh", dbName],
    delete: ["dropdb", "--if-exists", dbName],
}, { dependsOn: [role] });

// -- PF on the bridge ---------------------------------------------------------------------------
// The jails sit on the uplink's LAN behind bridge0, so their traffic is *bridged*, not routed:
// the host's PF sees it only where if_bridge runs the packet filter. FreeBSD 15.0 runs it
// nowhere by default (net.link.bridge.pfil_member=0 and pfil_bridge=0, sys/net/if_bridge.c), so
// the tutorial's ruleset alone filters no jail traffic at all: every jail on the bridge and every
// machine on the LAN reaches PostgreSQL on 5432. With pfil_member=1 (the default before 15.0)
// it is the other way round: `block in log all` drops the web jail's own connection on its
// member epair, where the tutorial's `pass in on $bridge_if` rule never looks.
// So filter on the bridge interface, where that rule looks, and only there: pfil_bridge=1 and
// pfil_member=0, now and at boot (rc.d/sysctl_lastload applies them once bridge0 exists).
const pfilBridge = new freebsd.Sysctl("bridge-pfil-bridge", {
    name: "net.link.bridge.pfil_bridge", value: "1", persist: true,
}, { dependsOn: [bridge] });
const pfilMember = new freebsd.Sysctl("bridge-pfil-member", {
    name: "net.link.bridge.pfil_member", value: "0", persist: true,
}, { dependsOn: [bridge] });

// -- PF: the tutorial's ruleset, addresses from the jails -----------------------------------------
function renderPf(extIf: string, bridgeIf: string, webAddrs: string[], dbAddrs: string[]): string {
    const webIp = webAddrs[0].split("/")[0];
    const dbIp = dbAddrs[0].split("/")[0];
    return `# Macros
ext_if = "${extIf}"
bridge_if = "${bridgeIf}"
jail_webserver = "${webIp}"
jail_database = "${dbIp}"
table <jails> const { $jail_webserver, $jail_database }

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
pass in on $bridge_if proto tcp to $jail_webserver port { 80, 443 }

# Allow PostgreSQL only from webserver jail
pass in on $bridge_if proto tcp from $jail_webserver to $jail_database port 5432

# The jails' own traffic to the LAN and the internet (pkg, DNS), never to each other
pass in on $bridge_if from <jails> to ! <jails>

# Allow ICMP for diagnostics
pass inet proto icmp all
`;
}

const pf = new freebsd.PfRuleset("pf", {
    path: "/etc/pf.conf", enable: true,
    rules: pulumi.all([uplink, bridge.name, web.addresses, db.addresses])
        .apply(([extIf, bridgeIf, webAddrs, dbAddrs]) => renderPf(extIf, bridgeIf, webAddrs, dbAddrs)),
}, { dependsOn: [password, dbDatabase, nginx, pfilBridge, pfilMember] });

export const webserver = { jid: web.jid, address: web.addresses, hostEpair: web.hostEpair };
export const database = { jid: db.jid, address: db.addresses, hostEpair: db.hostEpair };
export const nginxVersion = webPkgs.installed;
export const postgresqlVersion = dbPkgs.installed;
export const pfRules = pf.loadedRules;
