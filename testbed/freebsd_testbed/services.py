"""Simulated daemons behind the ports' rc scripts: nginx and postgresql (17).

Running services live in ``runtime["services"]`` (lost on reboot)::

    {"<jail>:<name>": {"jail": "" | name, "jid", "name", "pid", "pids": [...],
                       "listen": [[addr, port], ...], "data": str}}

plus their processes in jailctx's process table (``procs_add``) when that module is present.
A record whose jail is gone (or restarted: other jid) counts as not running.

PostgreSQL's catalog (roles with md5 password hashes, databases with owners) is a JSON file in
the cluster's data directory (``testbed_catalog.json``), so it lives in the jail's dataset.
"""
from __future__ import annotations

import hashlib
import ipaddress
import json
import os
import re
import sys
import time
from typing import Any

from . import hoststate, pkgcatalog, pkgdb

PG_DATA = pkgcatalog.PG_DATA
PG_CATALOG = "testbed_catalog.json"
PG_PORT = 5432


def _jailctx():
    return pkgdb._jailctx()


def svc_key(root: pkgdb.Root, name: str) -> str:
    return f"{root.jail or ''}:{name}"


def _services(st: Any) -> dict[str, Any]:
    s = st.runtime.get("services")
    if not isinstance(s, dict):
        s = {}
        st.runtime["services"] = s
    return s


def running(st: Any, root: pkgdb.Root, name: str) -> dict[str, Any] | None:
    rec = _services(st).get(svc_key(root, name))
    if rec is None:
        return None
    if rec.get("jail"):
        j = pkgdb.jail_record(st, rec["jail"])
        if j is None or (rec.get("jid") is not None and j.get("jid") != rec.get("jid")):
            _services(st).pop(svc_key(root, name), None)
            return None
    jc = _jailctx()
    if jc is not None and isinstance(st.runtime.get("procs"), dict):
        pids = {p["pid"] for p in jc.procs_list(st, rec.get("jail") or None)}
        if rec["pid"] not in pids:
            _services(st).pop(svc_key(root, name), None)
            return None
    return rec


def all_running(st: Any, name: str) -> list[dict[str, Any]]:
    out = []
    for key, rec in list(_services(st).items()):
        if rec.get("name") != name:
            continue
        r = pkgdb.Root(rec.get("jail") or None)
        if running(st, r, name) is not None:
            out.append(rec)
    return out


def _alloc(st: Any, root: pkgdb.Root, user: str, cmd: str, flags: str, svc: str,
           ppid: int = 1) -> int:
    jc = _jailctx()
    if jc is not None:
        return jc.procs_add(st, root.jail, user, cmd, flags, service=svc, ppid=ppid,
                            vsz=24844, rss=10920)
    n = st.runtime.get("testbed_next_pid", 3422)
    st.runtime["testbed_next_pid"] = n + 1
    return n


def _start_record(st: Any, root: pkgdb.Root, name: str, procs: list[tuple[str, str, str]],
                  listen: list[list[Any]], **extra: Any) -> dict[str, Any]:
    pids = []
    master = None
    for user, cmd, flags in procs:
        pid = _alloc(st, root, user, cmd, flags, name, ppid=master or 1)
        master = master or pid
        pids.append(pid)
    rec = {"jail": root.jail or "", "jid": root.jid, "name": name, "pid": pids[0], "pids": pids,
           "listen": listen, "started": time.time()}
    rec.update(extra)
    _services(st)[svc_key(root, name)] = rec
    return rec


def _stop_record(st: Any, root: pkgdb.Root, name: str) -> None:
    rec = _services(st).pop(svc_key(root, name), None)
    jc = _jailctx()
    if rec and jc is not None:
        for pid in rec.get("pids", []):
            jc.procs_remove(st, pid=pid)


# ---------------------------------------------------------------- nginx

NGINX_CONF = "/usr/local/etc/nginx/nginx.conf"


def nginx_listen(root: pkgdb.Root) -> list[list[Any]]:
    text = root.read(NGINX_CONF) or ""
    out = []
    for m in re.finditer(r"^\s*listen\s+([^;\s]+)[^;]*;", text, re.M):
        v = m.group(1)
        if v.isdigit():
            out.append(["0.0.0.0", int(v)])
        elif ":" in v and not v.startswith("["):
            a, p = v.rsplit(":", 1)
            out.append([a if a != "*" else "0.0.0.0", int(p) if p.isdigit() else 80])
        elif not v.startswith("["):
            out.append([v, 80])
    return out or [["0.0.0.0", 80]]


def nginx_configtest(root: pkgdb.Root) -> tuple[bool, str]:
    text = root.read(NGINX_CONF)
    if text is None:
        return False, (f'nginx: [emerg] open() "{NGINX_CONF}" failed (2: No such file or directory)\n'
                       f"nginx: configuration file {NGINX_CONF} test failed\n")
    if text.count("{") != text.count("}"):
        ln = text.count("\n") + 1
        return False, (f'nginx: [emerg] unexpected end of file, expecting "}}" in {NGINX_CONF}:{ln}\n'
                       f"nginx: configuration file {NGINX_CONF} test failed\n")
    return True, (f"nginx: the configuration file {NGINX_CONF} syntax is ok\n"
                  f"nginx: configuration file {NGINX_CONF} test is successful\n")


def nginx_start(st: Any, root: pkgdb.Root) -> dict[str, Any]:
    workers = 1
    m = re.search(r"^\s*worker_processes\s+(\d+)\s*;", root.read(NGINX_CONF) or "", re.M)
    if m:
        workers = max(1, int(m.group(1)))
    procs = [("root", "nginx: master process /usr/local/sbin/nginx", "Is")]
    procs += [("www", "nginx: worker process (nginx)", "I")] * workers
    rec = _start_record(st, root, "nginx", procs, nginx_listen(root))
    root.write("/var/run/nginx.pid", f"{rec['pid']}\n")
    return rec


def nginx_stop(st: Any, root: pkgdb.Root) -> None:
    _stop_record(st, root, "nginx")
    try:
        os.remove(root.real("/var/run/nginx.pid"))
    except OSError:
        pass


def http_docroot(root: pkgdb.Root) -> str:
    text = root.read(NGINX_CONF) or ""
    m = re.search(r"location\s+/\s*\{[^}]*?root\s+([^;\s]+)\s*;", text)
    return m.group(1) if m else "/usr/local/www/nginx"


# ---------------------------------------------------------------- postgresql

def ts() -> str:
    t = time.time()
    return time.strftime("%Y-%m-%d %H:%M:%S", time.gmtime(t)) + f".{int(t * 1000) % 1000:03d} UTC"


def sysv_ok(st: Any, root: pkgdb.Root) -> bool:
    """SysV shared memory available to ``root``'s jail (sysvshm=new/inherit or allow.sysvipc)."""
    if not root.jail:
        return True
    rec = pkgdb.jail_record(st, root.jail)
    if rec is None:
        return True
    v = pkgdb.jail_param(rec, "sysvshm")
    if v in ("new", "inherit"):
        return True
    a = pkgdb.jail_param(rec, "allow.sysvipc")
    return a not in (None, False, 0, "0", "false", "")


def pg_conf(root: pkgdb.Root, data: str, key: str, default: str) -> str:
    text = root.read(f"{data}/postgresql.conf") or ""
    val = default
    for line in text.splitlines():
        m = re.match(r"^\s*([A-Za-z_]+)\s*=?\s*(.*?)\s*(#.*)?$", line)
        if m and m.group(1) == key and m.group(2):
            val = m.group(2).strip().strip("'")
    return val


def pg_listen(root: pkgdb.Root, data: str) -> list[list[Any]]:
    port = int(pg_conf(root, data, "port", str(PG_PORT)) or PG_PORT)
    out = []
    for a in pg_conf(root, data, "listen_addresses", "localhost").split(","):
        a = a.strip()
        if a in ("*", "0.0.0.0"):
            out.append(["0.0.0.0", port])
        elif a == "localhost":
            out.append(["127.0.0.1", port])
        elif a:
            out.append([a, port])
    return out


def catalog_load(root: pkgdb.Root, data: str = PG_DATA) -> dict[str, Any]:
    try:
        with open(root.real(f"{data}/{PG_CATALOG}"), encoding="utf-8") as f:
            return json.load(f)
    except (FileNotFoundError, ValueError):
        return {"roles": {}, "databases": {}}


def catalog_save(root: pkgdb.Root, cat: dict[str, Any], data: str = PG_DATA) -> None:
    root.write(f"{data}/{PG_CATALOG}", json.dumps(cat, indent=1, sort_keys=True) + "\n", 0o600)


def md5_password(user: str, password: str) -> str:
    return "md5" + hashlib.md5((password + user).encode()).hexdigest()


PG_HBA = """# PostgreSQL Client Authentication Configuration File
# ===================================================
#
# Refer to the "Client Authentication" section in the PostgreSQL
# documentation for a complete description of this file.  A short
# synopsis follows.
#
# TYPE  DATABASE        USER            ADDRESS                 METHOD

# "local" is for Unix domain socket connections only
local   all             all                                     trust
# IPv4 local connections:
host    all             all             127.0.0.1/32            trust
# IPv6 local connections:
host    all             all             ::1/128                 trust
# Allow replication connections from localhost, by a user with the
# replication privilege.
local   replication     all                                     trust
host    replication     all             127.0.0.1/32            trust
host    replication     all             ::1/128                 trust
"""

PG_CONF = """# -----------------------------
# PostgreSQL configuration file
# -----------------------------
#
# This file consists of lines of the form:
#
#   name = value
#

#------------------------------------------------------------------------------
# CONNECTIONS AND AUTHENTICATION
#------------------------------------------------------------------------------

#listen_addresses = 'localhost'		# what IP address(es) to listen on;
					# comma-separated list of addresses;
					# defaults to 'localhost'; use '*' for all
					# (change requires restart)
#port = 5432				# (change requires restart)
max_connections = 100			# (change requires restart)
#unix_socket_directories = '/tmp'	# comma-separated list of directories

#------------------------------------------------------------------------------
# RESOURCE USAGE (except WAL)
#------------------------------------------------------------------------------

shared_buffers = 128MB			# min 128kB
dynamic_shared_memory_type = posix	# the default is usually the first option

#------------------------------------------------------------------------------
# REPORTING AND LOGGING
#------------------------------------------------------------------------------

log_destination = 'syslog'
#syslog_facility = 'LOCAL0'
#syslog_ident = 'postgres'

log_timezone = 'UTC'

#------------------------------------------------------------------------------
# CLIENT CONNECTION DEFAULTS
#------------------------------------------------------------------------------

datestyle = 'iso, mdy'
timezone = 'UTC'
lc_messages = 'C.UTF-8'			# locale for system error message
lc_monetary = 'C.UTF-8'			# locale for monetary formatting
lc_numeric = 'C.UTF-8'			# locale for number formatting
lc_time = 'C.UTF-8'			# locale for time formatting
default_text_search_config = 'pg_catalog.english'
"""

INITDB_HEAD = """The files belonging to this database system will be owned by user "{user}".
This user must also own the server process.

The database cluster will be initialized with this locale configuration:
  locale provider:   libc
  LC_COLLATE:  C
  LC_CTYPE:    C.UTF-8
  LC_MESSAGES: C.UTF-8
  LC_MONETARY: C.UTF-8
  LC_NUMERIC:  C.UTF-8
  LC_TIME:     C.UTF-8
The default text search configuration will be set to "english".

Data page checksums are disabled.

creating directory {data} ... ok
creating subdirectories ... ok
selecting dynamic shared memory implementation ... posix
selecting default "max_connections" ... 100
selecting default "shared_buffers" ... 128MB
selecting default time zone ... UTC
creating configuration files ... ok
running bootstrap script ... """

INITDB_TAIL = """ok
performing post-bootstrap initialization ... ok
syncing data to disk ... ok

initdb: warning: enabling "trust" authentication for local connections
initdb: hint: You can change this by editing pg_hba.conf or using the option -A, or --auth-local and --auth-host, the next time you run initdb.

Success. You can now start the database server using:

    /usr/local/bin/pg_ctl -D {data} -l logfile start

"""


def initdb(st: Any, root: pkgdb.Root, data: str, user: str) -> int:
    """initdb(1): create the cluster (or fail like the tutorial without SysV shm)."""
    real = root.real(data)
    if os.path.isdir(real) and os.listdir(real):
        sys.stderr.write(f'initdb: error: directory "{data}" exists but is not empty\n'
                         f'initdb: hint: If you want to create a new database system, either '
                         f'remove or empty the directory "{data}" or run initdb with an argument '
                         f'other than "{data}".\n')
        return 1
    sys.stdout.write(INITDB_HEAD.format(user=user, data=data))
    sys.stdout.flush()
    os.makedirs(real, exist_ok=True)
    if not sysv_ok(st, root):
        pid = _alloc(st, root, user, f"/usr/local/bin/postgres --boot -F -c log_checkpoints=false -X 1048576 -k", "R", "initdb")
        jc = _jailctx()
        if jc is not None:
            jc.procs_remove(st, pid=pid)
        key = 59615
        sys.stderr.write(f"{ts()} [{pid}] FATAL:  could not create shared memory segment: "
                         "Function not implemented\n")
        sys.stderr.write(f"{ts()} [{pid}] DETAIL:  Failed system call was shmget(key={key}, "
                         "size=56, 03600).\n")
        sys.stderr.write("child process exited with exit code 1\n")
        sys.stderr.write(f'initdb: removing data directory "{data}"\n')
        import shutil
        shutil.rmtree(real, ignore_errors=True)
        return 1
    for sub in ("base/1", "base/4", "base/5", "global", "pg_wal/archive_status", "pg_xact",
                "pg_multixact/members", "pg_multixact/offsets", "pg_subtrans", "pg_tblspc",
                "pg_twophase", "pg_stat", "pg_stat_tmp", "pg_snapshots", "pg_notify",
                "pg_serial", "pg_replslot", "pg_dynshmem", "pg_commit_ts", "pg_logical",
                "pg_logical/snapshots", "pg_logical/mappings"):
        os.makedirs(os.path.join(real, sub), exist_ok=True)
    root.write(f"{data}/PG_VERSION", "17\n", 0o600)
    root.write(f"{data}/postgresql.conf", PG_CONF, 0o600)
    root.write(f"{data}/postgresql.auto.conf",
               "# Do not edit this file manually!\n# It will be overwritten by the ALTER SYSTEM command.\n", 0o600)
    root.write(f"{data}/pg_hba.conf", PG_HBA, 0o600)
    root.write(f"{data}/pg_ident.conf", "# PostgreSQL User Name Maps\n", 0o600)
    catalog_save(root, {"roles": {user: {"super": True, "password": None, "oid": 10}},
                        "databases": {
                            "postgres": {"owner": user, "acl": []},
                            "template0": {"owner": user, "acl": ["=c/" + user, f"{user}=CTc/{user}"]},
                            "template1": {"owner": user, "acl": ["=c/" + user, f"{user}=CTc/{user}"]},
                        }}, data)
    ent = pkgdb.user_entry(root, user)
    if ent:
        try:
            for dp, dns, fns in os.walk(real):
                os.chown(dp, int(ent[2]), int(ent[3]))
                for f in fns:
                    os.chown(os.path.join(dp, f), int(ent[2]), int(ent[3]))
            os.chmod(real, 0o700)
        except OSError:
            pass
    sys.stdout.write(INITDB_TAIL.format(data=data))
    return 0


def pg_start(st: Any, root: pkgdb.Root, data: str, silent: bool = True) -> int:
    """pg_ctl start -w: returns the exit status, output written."""
    err = sys.stderr
    if not os.path.isdir(root.real(data)):
        err.write(f'pg_ctl: directory "{data}" does not exist\n')
        return 1
    if not root.exists(f"{data}/PG_VERSION"):
        err.write(f'pg_ctl: directory "{data}" is not a database cluster directory\n')
        return 1
    rec = running(st, root, "postgresql")
    if rec is not None:
        err.write("pg_ctl: another server might be running; trying to start server anyway\n")
        pid = rec["pid"] + 97
        err.write(f'{ts()} [{pid}] FATAL:  lock file "postmaster.pid" already exists\n')
        err.write(f'{ts()} [{pid}] HINT:  Is another postmaster (PID {rec["pid"]}) running in '
                  f'data directory "{data}"?\n')
        err.write("pg_ctl: could not start server\nExamine the log output.\n")
        return 1
    if not silent:
        sys.stdout.write("waiting for server to start....")
    procs = [("postgres", f"/usr/local/bin/postgres -D {data}", "Ss")]
    if not sysv_ok(st, root):
        pid = _alloc(st, root, "postgres", procs[0][1], "Ss", "postgresql")
        jc = _jailctx()
        if jc is not None:
            jc.procs_remove(st, pid=pid)
        err.write(f"{ts()} [{pid}] FATAL:  could not create shared memory segment: Function not implemented\n")
        err.write(f"{ts()} [{pid}] DETAIL:  Failed system call was shmget(key=5432001, size=56, 03600).\n")
        err.write(f"{ts()} [{pid}] LOG:  database system is shut down\n")
        if not silent:
            sys.stdout.write(" stopped waiting\n")
        err.write("pg_ctl: could not start server\nExamine the log output.\n")
        return 1
    procs += [("postgres", "postgres: checkpointer    (postgres)", "Ss"),
              ("postgres", "postgres: background writer    (postgres)", "Ss"),
              ("postgres", "postgres: walwriter    (postgres)", "Ss"),
              ("postgres", "postgres: autovacuum launcher    (postgres)", "Ss"),
              ("postgres", "postgres: logical replication launcher    (postgres)", "Ss")]
    rec = _start_record(st, root, "postgresql", procs, pg_listen(root, data), data=data)
    root.write(f"{data}/postmaster.pid",
               f"{rec['pid']}\n{data}\n{int(time.time())}\n{PG_PORT}\n/tmp\nlocalhost\n"
               f"  5432001         0\nready   \n", 0o600)
    dest = pg_conf(root, data, "log_destination", "stderr")
    if dest != "stderr":
        err.write(f"{ts()} [{rec['pid']}] LOG:  ending log output to stderr\n")
        err.write(f'{ts()} [{rec["pid"]}] HINT:  Future log output will go to log destination "{dest}".\n')
    if not silent:
        sys.stdout.write(" done\nserver started\n")
    return 0


def pg_stop(st: Any, root: pkgdb.Root, data: str, silent: bool = True) -> int:
    rec = running(st, root, "postgresql")
    if rec is None:
        sys.stderr.write(f'pg_ctl: PID file "{data}/postmaster.pid" does not exist\n'
                         "Is server running?\n")
        return 1
    if not silent:
        sys.stdout.write("waiting for server to shut down.... done\nserver stopped\n")
    _stop_record(st, root, "postgresql")
    try:
        os.remove(root.real(f"{data}/postmaster.pid"))
    except OSError:
        pass
    return 0


def pg_status(st: Any, root: pkgdb.Root, data: str) -> int:
    rec = running(st, root, "postgresql")
    if rec is None:
        if not os.path.isdir(root.real(data)):
            sys.stderr.write(f'pg_ctl: directory "{data}" does not exist\n')
            return 4
        sys.stdout.write("pg_ctl: no server running\n")
        return 3
    sys.stdout.write(f"pg_ctl: server is running (PID: {rec['pid']})\n"
                     f'/usr/local/bin/postgres "-D" "{data}"\n')
    return 0


def pg_servers(st: Any) -> list[dict[str, Any]]:
    return all_running(st, "postgresql")


def vnet_of(st: Any, jail: str | None) -> str:
    try:
        from . import net
    except ImportError:
        return "host"
    if jail and jail in net.vnets(st):
        return jail
    return net.HOST


def addresses_of(st: Any, vnet: str) -> list[str]:
    try:
        from . import net
        return [a for i in net.ifaces(st, vnet) for a, _ in i.get("inet", [])]
    except Exception:  # noqa: BLE001
        return []


def tcp_connect(st: Any, src_jail: str | None, addr: str, port: int, service: str
                ) -> tuple[dict[str, Any] | None, str | None, str]:
    """Connect from ``src_jail`` to addr:port where ``service`` may listen.

    Returns (service record, error text or None, client address)."""
    src_vnet = vnet_of(st, src_jail)
    try:
        ip = ipaddress.ip_address(addr)
    except ValueError:
        return None, "could not translate host name", ""
    if ip.is_loopback:
        for rec in all_running(st, service):
            if vnet_of(st, rec.get("jail") or None) == src_vnet and (rec.get("jail") or None) == (src_jail or None) \
                    or (vnet_of(st, rec.get("jail") or None) == src_vnet and src_vnet != "host"):
                for a, p in rec["listen"]:
                    if p == port and (a in ("0.0.0.0", "127.0.0.1")):
                        return rec, None, "127.0.0.1"
        return None, "Connection refused", "127.0.0.1"
    # which vnet owns addr?
    target_vnet = None
    try:
        from . import net
        for vn in list(net.vnets(st)):
            if addr in addresses_of(st, vn):
                target_vnet = vn
                break
        ok, reason = net.reachable(st, src_vnet, addr, "tcp", port)
    except ImportError:
        ok, reason = True, "no network model"
    client = next((a for a in addresses_of(st, src_vnet) if not a.startswith("127.")), "")
    if target_vnet == src_vnet:
        client = addr
    if not ok:
        if reason in ("No route to host", "Network is unreachable", "Network is down"):
            return None, reason, client
        if "blocked" in reason or "pf" in reason:
            return None, "Operation timed out", client
        return None, "Operation timed out" if target_vnet is None else "Connection refused", client
    for rec in all_running(st, service):
        if vnet_of(st, rec.get("jail") or None) != target_vnet:
            continue
        for a, p in rec["listen"]:
            if p == port and a in ("0.0.0.0", addr):
                return rec, None, client
    return None, "Connection refused", client


# ---------------------------------------------------------------- boot

class _RtState:
    """A State-like wrapper of a bare runtime dict (boot steps get the runtime only)."""

    def __init__(self, rt: dict[str, Any]):
        self.runtime = rt
        self.persistent: dict[str, Any] = {}


# Debian's postgresql-common wrappers in /usr/bin would shadow the psql, createuser, ...
# that postgresql17-client installs in /usr/local/bin (FreeBSD's base has none of them).
_PG_WRAPPED = ("psql", "createuser", "createdb", "dropdb", "dropuser", "pg_isready", "pg_dump",
               "pg_dumpall", "pg_restore", "clusterdb", "reindexdb", "vacuumdb", "pg_basebackup",
               "pg_receivewal", "pg_recvlogical", "pgbench", "pg_config", "pg_ctlcluster",
               "pg_lsclusters", "pg_createcluster", "pg_dropcluster", "pg_upgradecluster",
               "pg_conftool", "pg_backupcluster", "pg_restorecluster", "pg_renamecluster",
               "pg_virtualenv", "pg_buildext")


def hide_foreign_programs() -> None:
    """Inside a testbed host only (its sshd config exists): remove the Debian wrappers above
    (symlinks to pg_wrapper) from /usr/bin and /usr/sbin (whiteouts in the /usr overlay)."""
    if not os.path.exists(hoststate.hostpath("/etc/ssh/testbed_sshd_config")):
        return
    for d in ("/usr/bin", "/usr/sbin"):
        for name in _PG_WRAPPED:
            p = hoststate.hostpath(f"{d}/{name}")
            try:
                if os.path.islink(p) and os.readlink(p).endswith("pg_wrapper"):
                    os.remove(p)
            except OSError:
                pass


def _host_base_services(rt: dict[str, Any]) -> None:
    """The host's /etc/rc.d scripts (from basesystem's list, when missing) and its base daemons
    sshd/ntpd in the process table when enabled (syslogd/cron/devd come from rcd_jail.py)."""
    if hoststate.root() == "/" and not os.path.exists("/etc/ssh/testbed_sshd_config"):
        return
    try:
        from . import basesystem
        rc_d = getattr(basesystem, "RC_D", {})
    except ImportError:
        rc_d = {}
    for n, (name, rcvar, cmd) in rc_d.items():
        real = hoststate.hostpath(f"/etc/rc.d/{n}")
        if os.path.lexists(real):
            continue
        body = ("#!/bin/sh\n#\n\n# PROVIDE: %s\n# REQUIRE: FILESYSTEMS\n\n"
                ". /etc/rc.subr\n\nname=\"%s\"\n" % (name, name))
        if rcvar:
            body += f'rcvar="{rcvar}"\n'
        if cmd:
            body += f'command="{cmd}"\n'
        body += '\nload_rc_config $name\nrun_rc_command "$1"\n'
        try:
            os.makedirs(os.path.dirname(real), exist_ok=True)
            with open(real, "w", encoding="utf-8") as f:
                f.write(body)
            os.chmod(real, 0o555)
        except OSError:
            pass
    jc = _jailctx()
    if jc is None:
        return
    from .tools import service as svc
    env = svc.rc_vars(pkgdb.Root())
    have = {p.get("service") for p in jc.procs_list(rt, None)}
    for name in ("sshd", "ntpd"):
        if name not in have and svc._yes(env.get(f"{name}_enable")):
            user, command, _ = svc.GENERIC[name]
            jc.procs_add(rt, None, user, command, "Ss", service=name)


def boot_step(rt: dict[str, Any]) -> None:
    """Start the host's modelled services whose rcvar is YES (rc's local_startup pass)."""
    from .tools import service as svc
    hide_foreign_programs()
    _host_base_services(rt)
    root = pkgdb.Root()
    env = svc.rc_vars(root)
    st = _RtState(rt)
    import io
    import contextlib
    for name, var in svc.MODELLED.items():
        if not svc._yes(env.get(var)) or svc.script_path(root, name) is None:
            continue
        buf = io.StringIO()
        try:
            with contextlib.redirect_stdout(buf), contextlib.redirect_stderr(buf):
                if name == "nginx" and root.exists("/usr/local/sbin/nginx") and \
                        nginx_configtest(root)[0]:
                    nginx_start(st, root)
                elif name == "postgresql" and root.exists(f"{PG_DATA}/PG_VERSION"):
                    pg_start(st, root, env.get("postgresql_data") or PG_DATA)
        except Exception:  # noqa: BLE001 - a broken service must not stop the boot
            pass
