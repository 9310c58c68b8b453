"""PostgreSQL 17 client and server programs: psql, createuser, createdb, dropdb, dropuser,
initdb, pg_ctl, pg_isready (installed by postgresql17-client/-server as launchers).

Just enough SQL for the tutorial: SELECT version(); SELECT 1; ALTER USER/ROLE ... PASSWORD;
CREATE/DROP ROLE|USER|DATABASE; ``psql -l`` / ``\\l`` / ``\\du``.  Connections follow libpq:
Unix socket (no -h, or -h /tmp) to the server of the same root; TCP to an address through
net.reachable, the server's listen_addresses and pg_hba.conf (trust/md5/scram-sha-256/
password/reject, PGPASSWORD).
"""
from __future__ import annotations

import ipaddress
import os
import re
import sys
from typing import Any

from .. import hoststate, pkgcatalog, pkgdb, services

VERSION_STR = (f"PostgreSQL {pkgcatalog.PG_VERSION} on amd64-portbld-freebsd15.0, compiled by "
               "clang version 19.1.7, 64-bit")


def _user() -> str:
    u = os.environ.get("TESTBED_USER") or os.environ.get("USER") or os.environ.get("LOGNAME")
    if u:
        return u
    try:
        import pwd
        return pwd.getpwuid(os.getuid()).pw_name
    except (KeyError, ImportError):
        return "root"


def main(argv: list[str]) -> int:
    prog = os.path.basename(argv[0])
    fn = {"psql": psql, "createuser": createuser, "createdb": createdb, "dropdb": dropdb,
          "dropuser": dropuser, "initdb": initdb, "pg_ctl": pg_ctl,
          "pg_isready": pg_isready}.get(prog)
    if fn is None:
        sys.stderr.write(f"{prog}: Command not found.\n")
        return 127
    try:
        return fn(argv[1:])
    except BrokenPipeError:
        return 1


# ---------------------------------------------------------------- option parsing

LONG = {"--host": "h", "--port": "p", "--username": "U", "--dbname": "d", "--command": "c",
        "--list": "l", "--tuples-only": "t", "--no-align": "A", "--quiet": "q",
        "--no-psqlrc": "X", "--no-password": "w", "--password": "W", "--superuser": "s",
        "--owner": "O", "--pgdata": "D", "--username=": "U", "--encoding": "E",
        "--no-superuser": "S", "--createdb": "d", "--createrole": "r", "--login": "L",
        "--file": "f", "--echo": "e", "--silent": "s", "--wait": "w", "--mode": "m",
        "--auth": "A", "--locale": "L"}


def _parse(args: list[str], with_arg: str) -> tuple[dict[str, str], list[str], list[str]]:
    opts: dict[str, str] = {}
    multi: list[str] = []
    pos: list[str] = []
    i = 0
    while i < len(args):
        a = args[i]
        if a.startswith("--") and len(a) > 2:
            k, _, v = a.partition("=")
            c = LONG.get(k)
            if c is None:
                opts["--" + k[2:]] = v
                i += 1
                continue
            if c in with_arg and not v:
                i += 1
                v = args[i] if i < len(args) else ""
            opts[c] = v
            multi.append(c)
        elif a.startswith("-") and len(a) > 1:
            j = 1
            while j < len(a):
                c = a[j]
                if c in with_arg:
                    v = a[j + 1:]
                    if not v:
                        i += 1
                        v = args[i] if i < len(args) else ""
                    opts[c] = v
                    multi.append(c)
                    break
                opts[c] = ""
                multi.append(c)
                j += 1
        else:
            pos.append(a)
        i += 1
    return opts, multi, pos


# ---------------------------------------------------------------- connections

class ConnError(Exception):
    pass


def _sock_err(port: int, msg: str) -> str:
    return f'connection to server on socket "/tmp/.s.PGSQL.{port}" failed: {msg}'


def connect(host: str | None, port: int, user: str, db: str, password: str | None
            ) -> tuple[pkgdb.Root, str, dict[str, Any]]:
    """Return (server root, data dir, catalog) or raise ConnError(libpq message)."""
    me = pkgdb.current()
    with hoststate.locked(write=False) as st:
        if not host or host.startswith("/"):
            rec = services.running(st, me, "postgresql")
            if rec is None or not any(p == port for _, p in rec["listen"]):
                raise ConnError(_sock_err(port, "No such file or directory") +
                                "\n\tIs the server running locally and accepting connections on "
                                "that socket?")
            where = _sock_err(port, "")
            client = None
        else:
            addr = host
            if host == "localhost":
                addr = "127.0.0.1"
            try:
                ipaddress.ip_address(addr)
            except ValueError:
                raise ConnError(f'could not translate host name "{host}" to address: '
                                "hostname nor servname provided, or not known")
            if ipaddress.ip_address(addr).is_loopback:
                rec = services.running(st, me, "postgresql")
                ok = rec is not None and any(p == port and a in ("0.0.0.0", "127.0.0.1")
                                             for a, p in rec["listen"])
                err = None if ok else "Connection refused"
                client = "127.0.0.1"
                if not ok:
                    rec = None
            else:
                rec, err, client = services.tcp_connect(st, me.jail, addr, port, "postgresql")
            where = f'connection to server at "{host}" ({addr}), port {port} failed: ' \
                if host == "localhost" else f'connection to server at "{host}", port {port} failed: '
            if rec is None:
                raise ConnError(where + (err or "Connection refused") +
                                "\n\tIs the server running on that host and accepting TCP/IP "
                                "connections?")
        if (rec.get("jail") or None) == me.jail:
            sroot = me
        elif rec.get("jail"):
            sroot = pkgdb.for_jail(st, rec["jail"]) or pkgdb.Root(rec["jail"], "", None, True)
        else:
            sroot = pkgdb.Root(None, "", None, host_view=True)
    data = rec.get("data") or services.PG_DATA
    cat = services.catalog_load(sroot, data)
    hba = sroot.read(f"{data}/pg_hba.conf") or ""
    method = _hba(hba, "local" if client is None else "host", db, user, client)
    ctext = "" if client is None else f'host "{client}", '
    if method is None:
        raise ConnError(where + f'FATAL:  no pg_hba.conf entry for {ctext}user "{user}", '
                        f'database "{db}", no encryption')
    if method == "reject":
        raise ConnError(where + f'FATAL:  pg_hba.conf rejects connection for {ctext}user '
                        f'"{user}", database "{db}", no encryption')
    role = cat["roles"].get(user)
    if method in ("md5", "scram-sha-256", "password"):
        if password is None:
            raise ConnError(where + "fe_sendauth: no password supplied")
        if role is None or not role.get("password") or \
                role["password"] != services.md5_password(user, password):
            raise ConnError(where + f'FATAL:  password authentication failed for user "{user}"')
    elif method in ("peer", "ident"):
        if client is None and _user() != user:
            raise ConnError(where + f'FATAL:  Peer authentication failed for user "{user}"')
    if role is None:
        raise ConnError(where + f'FATAL:  role "{user}" does not exist')
    if db not in cat["databases"]:
        raise ConnError(where + f'FATAL:  database "{db}" does not exist')
    if db == "template0":
        raise ConnError(where + 'FATAL:  database "template0" is not currently accepting connections')
    return sroot, data, cat


def _hba(text: str, ctype: str, db: str, user: str, client: str | None) -> str | None:
    for line in text.splitlines():
        line = line.split("#", 1)[0].strip()
        if not line:
            continue
        f = line.split()
        typ = f[0]
        if ctype == "local":
            if typ != "local" or len(f) < 4:
                continue
            dbs, users, method = f[1], f[2], f[3]
        else:
            if typ not in ("host", "hostnossl") or len(f) < 5:
                continue
            dbs, users, addr, method = f[1], f[2], f[3], f[4]
            try:
                if len(f) >= 6 and "/" not in addr:
                    net = ipaddress.ip_network(f"{addr}/{f[4]}", strict=False)
                    method = f[5]
                elif addr in ("all", "samehost", "samenet"):
                    net = ipaddress.ip_network("0.0.0.0/0")
                else:
                    net = ipaddress.ip_network(addr, strict=False)
                if ipaddress.ip_address(client or "127.0.0.1") not in net:
                    continue
            except ValueError:
                continue
        if dbs != "all" and db not in dbs.split(",") and not (dbs == "sameuser" and db == user):
            continue
        if users != "all" and user not in users.split(","):
            continue
        return method
    return None


# ---------------------------------------------------------------- output

def _w(s: str) -> None:
    sys.stdout.write(s)


def table(headers: list[str], rows: list[list[str]], title: str | None = None,
          tuples_only: bool = False, unaligned: bool = False) -> str:
    """psql's aligned format (border 1), with multi-line cells and the (N rows) footer."""
    if unaligned:
        out = []
        if not tuples_only:
            out.append("|".join(headers))
        out += ["|".join(r) for r in rows]
        if not tuples_only:
            out.append(f"({len(rows)} row{'s' if len(rows) != 1 else ''})")
        return "\n".join(out) + "\n" if out else ""  # -tA with no rows prints nothing
    n = len(headers)
    cells = [[c.split("\n") for c in r] for r in rows]
    widths = [len(h) for h in headers]
    for r in cells:
        for k, c in enumerate(r):
            widths[k] = max(widths[k], max(len(x) for x in c))
    numeric = [bool(rows) and all(re.fullmatch(r"-?\d+", r[k] or "x") for r in rows)
               for k in range(n)]
    lines = []
    total = sum(widths) + 3 * (n - 1) + 2
    if title and not tuples_only:
        lines.append(" " * max(0, (total - len(title)) // 2) + title)
    if not tuples_only:
        hs = []
        for k, h in enumerate(headers):
            pad = widths[k] - len(h)
            hs.append(" " * (pad // 2) + h + " " * (pad - pad // 2))
        lines.append(" " + " | ".join(hs) + " ")
        lines.append("+".join("-" * (w + 2) for w in widths))
    for r in cells:
        height = max(len(c) for c in r)
        for li in range(height):
            parts = []
            for k in range(n):
                c = r[k]
                txt = c[li] if li < len(c) else ""
                more = li < len(c) - 1
                last = k == n - 1
                if numeric[k]:
                    parts.append(txt.rjust(widths[k]) + ("" if last else " "))
                elif last and not more:
                    parts.append(txt)
                else:
                    parts.append(txt.ljust(widths[k]) + ("+" if more else " "))
            lines.append(" " + "| ".join(parts))
    if not tuples_only:
        lines.append(f"({len(rows)} row{'s' if len(rows) != 1 else ''})")
        lines.append("")
    return "\n".join(lines) + "\n"


def list_databases(cat: dict[str, Any], **kw: Any) -> str:
    rows = []
    for name in sorted(cat["databases"]):
        d = cat["databases"][name]
        acl = d.get("acl") or []
        rows.append([name, d["owner"], "UTF8", "libc", "C", "C.UTF-8", "", "", "\n".join(acl)])
    hdr = ["Name", "Owner", "Encoding", "Locale Provider", "Collate", "Ctype", "Locale",
           "ICU Rules", "Access privileges"]
    return table(hdr, rows, "List of databases", **kw)


def list_roles(cat: dict[str, Any], **kw: Any) -> str:
    rows = []
    for name in sorted(cat["roles"]):
        r = cat["roles"][name]
        attrs = "Superuser" if r.get("super") else ""
        if name == "postgres":
            attrs = "Superuser, Create role, Create DB, Replication, Bypass RLS"
        rows.append([name, attrs])
    return table(["Role name", "Attributes"], rows, "List of roles", **kw).replace(
        f"({len(rows)} row{'s' if len(rows) != 1 else ''})\n\n", "\n") if True else ""


# ---------------------------------------------------------------- SQL

class SQLError(Exception):
    pass


def run_sql(sql: str, sroot: pkgdb.Root, data: str, cat: dict[str, Any], user: str,
            tuples_only: bool, unaligned: bool) -> str:
    out = []
    for stmt in [s.strip() for s in _split_sql(sql)]:
        if not stmt:
            continue
        out.append(_stmt(stmt, sroot, data, cat, user, tuples_only, unaligned))
    return "".join(out)


def _split_sql(sql: str) -> list[str]:
    parts, cur, q = [], [], False
    for ch in sql:
        if ch == "'":
            q = not q
        if ch == ";" and not q:
            parts.append("".join(cur))
            cur = []
        else:
            cur.append(ch)
    parts.append("".join(cur))
    return parts


def _ident(s: str) -> str:
    return s[1:-1] if s.startswith('"') and s.endswith('"') else s.lower()


def _stmt(stmt: str, sroot, data, cat, user, tuples_only, unaligned) -> str:
    s = " ".join(stmt.split())
    u = s.upper()
    kw = dict(tuples_only=tuples_only, unaligned=unaligned)
    if s in ("\\l", "\\list"):
        return list_databases(cat, **kw)
    if s == "\\du":
        return list_roles(cat, **kw)
    m = re.fullmatch(r"SELECT\s+version\(\s*\)", s, re.I)
    if m:
        return table(["version"], [[VERSION_STR]], **kw)
    m = re.fullmatch(r"SELECT\s+(-?\d+)(?:\s+AS\s+(\w+))?", s, re.I)
    if m:
        return table([m.group(2) or "?column?"], [[m.group(1)]], **kw)
    # catalog lookups, as scripts use them for idempotency guards:
    #   SELECT 1 FROM pg_roles WHERE rolname='x'   /   SELECT 1 FROM pg_database WHERE datname='x'
    m = re.fullmatch(r"SELECT\s+(-?\d+|\*|rolname|datname)\s+FROM\s+(pg_roles|pg_user|pg_database)"
                     r"(?:\s+WHERE\s+(rolname|usename|datname)\s*=\s*'([^']*)')?\s*", s, re.I)
    if m:
        what, rel, col, val = m.group(1), m.group(2).lower(), m.group(3), m.group(4)
        names = sorted(cat["databases"] if rel == "pg_database" else cat["roles"])
        if col is not None:
            if (col.lower() == "datname") != (rel == "pg_database"):
                raise SQLError(f'column "{col}" does not exist')
            names = [n for n in names if n == val]
        header = "?column?" if what[0].isdigit() or what[0] == "-" else what.lower()
        if what == "*":
            header = "datname" if rel == "pg_database" else "rolname"
        rows = [[what if header == "?column?" else n] for n in names]
        return table([header], rows, **kw)
    m = re.fullmatch(r"SELECT\s+(current_user|user|session_user)", s, re.I)
    if m:
        return table([m.group(1).lower()], [[user]], **kw)
    m = re.fullmatch(r"SELECT\s+current_database\(\s*\)", s, re.I)
    if m:
        return table(["current_database"], [[os.environ.get("_TB_PGDB", "")]], **kw)
    m = re.fullmatch(r"ALTER\s+(?:USER|ROLE)\s+(\"[^\"]+\"|\w+)\s+(?:WITH\s+)?(?:ENCRYPTED\s+)?PASSWORD\s+'([^']*)'", s, re.I)
    if m:
        name = _ident(m.group(1))
        if name not in cat["roles"]:
            raise SQLError(f'role "{name}" does not exist')
        cat["roles"][name]["password"] = services.md5_password(name, m.group(2))
        services.catalog_save(sroot, cat, data)
        return "ALTER ROLE\n"
    m = re.fullmatch(r"CREATE\s+(USER|ROLE)\s+(\"[^\"]+\"|\w+)(.*)", s, re.I)
    if m:
        name = _ident(m.group(2))
        if name in cat["roles"]:
            raise SQLError(f'role "{name}" already exists')
        rest = m.group(3)
        pw = re.search(r"PASSWORD\s+'([^']*)'", rest, re.I)
        cat["roles"][name] = {"super": bool(re.search(r"\bSUPERUSER\b", rest, re.I)),
                              "password": services.md5_password(name, pw.group(1)) if pw else None,
                              "login": m.group(1).upper() == "USER" or bool(re.search(r"\bLOGIN\b", rest, re.I))}
        services.catalog_save(sroot, cat, data)
        return "CREATE ROLE\n"
    m = re.fullmatch(r"DROP\s+(?:USER|ROLE)\s+(IF\s+EXISTS\s+)?(\"[^\"]+\"|\w+)", s, re.I)
    if m:
        name = _ident(m.group(2))
        if name not in cat["roles"]:
            if m.group(1):
                return "DROP ROLE\n"
            raise SQLError(f'role "{name}" does not exist')
        del cat["roles"][name]
        services.catalog_save(sroot, cat, data)
        return "DROP ROLE\n"
    m = re.fullmatch(r"CREATE\s+DATABASE\s+(\"[^\"]+\"|\w+)(?:\s+(?:WITH\s+)?OWNER\s*=?\s*(\"[^\"]+\"|\w+))?.*", s, re.I)
    if m:
        name = _ident(m.group(1))
        if name in cat["databases"]:
            raise SQLError(f'database "{name}" already exists')
        owner = _ident(m.group(2)) if m.group(2) else user
        if owner not in cat["roles"]:
            raise SQLError(f'role "{owner}" does not exist')
        cat["databases"][name] = {"owner": owner, "acl": []}
        services.catalog_save(sroot, cat, data)
        return "CREATE DATABASE\n"
    m = re.fullmatch(r"DROP\s+DATABASE\s+(IF\s+EXISTS\s+)?(\"[^\"]+\"|\w+)", s, re.I)
    if m:
        name = _ident(m.group(2))
        if name not in cat["databases"]:
            if m.group(1):
                return "DROP DATABASE\n"
            raise SQLError(f'database "{name}" does not exist')
        del cat["databases"][name]
        services.catalog_save(sroot, cat, data)
        return "DROP DATABASE\n"
    if u.startswith(("BEGIN", "COMMIT", "SET ")):
        return {"B": "BEGIN\n", "C": "COMMIT\n", "S": "SET\n"}[u[0]]
    word = s.split()[0] if s.split() else s
    raise SQLError(f'syntax error at or near "{word}"\nLINE 1: {s}\n        ^')


# ---------------------------------------------------------------- programs

def _conn_params(opts: dict[str, str], pos: list[str], default_db: str | None = None
                 ) -> tuple[str | None, int, str, str]:
    host = opts.get("h") or os.environ.get("PGHOST")
    port = int(opts.get("p") or os.environ.get("PGPORT") or 5432)
    user = opts.get("U") or os.environ.get("PGUSER") or _user()
    db = opts.get("d") or os.environ.get("PGDATABASE") or default_db or user
    return host, port, user, db


def psql(args: list[str]) -> int:
    opts, multi, pos = _parse(args, "hpUdcfvP")
    if "-version" in opts or "V" in opts or "--version" in opts:
        _w(f"psql (PostgreSQL) {pkgcatalog.PG_VERSION}\n")
        return 0
    if pos and "d" not in opts:
        opts["d"] = pos.pop(0)
    if pos and "U" not in opts:
        opts["U"] = pos.pop(0)
    listing = "l" in opts
    host, port, user, db = _conn_params(opts, pos, "postgres" if listing else None)
    password = os.environ.get("PGPASSWORD")
    try:
        sroot, data, cat = connect(host, port, user, db, password)
    except ConnError as e:
        sys.stderr.write(f"psql: error: {e}\n")
        return 2
    tuples_only, unaligned = "t" in opts, "A" in opts
    os.environ["_TB_PGDB"] = db
    try:
        if listing:
            _w(list_databases(cat, tuples_only=tuples_only, unaligned=unaligned))
            return 0
        if "c" in opts:
            _w(run_sql(opts["c"], sroot, data, cat, user, tuples_only, unaligned))
            return 0
        sql = sys.stdin.read() if not sys.stdin.isatty() else ""
        _w(run_sql(sql, sroot, data, cat, user, tuples_only, unaligned))
        return 0
    except SQLError as e:
        sys.stdout.flush()
        sys.stderr.write(f"ERROR:  {e}\n")
        return 1


def _client_cmd(prog: str, args: list[str], sql_of) -> int:
    opts, multi, pos = _parse(args, "hpUdOEDTlc")
    host, port, user, _ = _conn_params(opts, pos)
    try:
        sroot, data, cat = connect(host, port, user, "postgres", os.environ.get("PGPASSWORD"))
    except ConnError as e:
        sys.stderr.write(f"{prog}: error: {e}\n")
        return 1
    sql, what = sql_of(opts, pos)
    if sql is None:
        sys.stderr.write(f"{prog}: error: missing required argument {what}\n")
        return 1
    try:
        run_sql(sql, sroot, data, cat, user, False, False)
    except SQLError as e:
        sys.stderr.write(f"{prog}: error: {what} failed: ERROR:  {str(e).splitlines()[0]}\n")
        return 1
    return 0


def createuser(args: list[str]) -> int:
    def sql(opts, pos):
        if not pos:
            return None, "role name"
        extra = " SUPERUSER" if "s" in opts else ""
        return f'CREATE ROLE "{pos[0]}"{extra} LOGIN', "creation of new role"
    return _client_cmd("createuser", args, sql)


def dropuser(args: list[str]) -> int:
    def sql(opts, pos):
        if not pos:
            return None, "role name"
        return f'DROP ROLE "{pos[0]}"', "removal of role"
    return _client_cmd("dropuser", args, sql)


def createdb(args: list[str]) -> int:
    def sql(opts, pos):
        name = pos[0] if pos else (opts.get("U") or _user())
        owner = f' OWNER "{opts["O"]}"' if opts.get("O") else ""
        return f'CREATE DATABASE "{name}"{owner}', "database creation"
    return _client_cmd("createdb", args, sql)


def dropdb(args: list[str]) -> int:
    def sql(opts, pos):
        if not pos:
            return None, "database name"
        return f'DROP DATABASE "{pos[0]}"', "database removal"
    return _client_cmd("dropdb", args, sql)


def pg_isready(args: list[str]) -> int:
    opts, multi, pos = _parse(args, "hpUdt")
    host, port, user, db = _conn_params(opts, pos)
    try:
        connect(host, port, user, db, os.environ.get("PGPASSWORD") or "")
        ok = True
    except ConnError as e:
        ok = "FATAL" in str(e) or "fe_sendauth" in str(e)
    where = f"{host}:{port}" if host else f"/tmp:{port}"
    _w(f"{where} - {'accepting connections' if ok else 'no response'}\n")
    return 0 if ok else 2


def initdb(args: list[str]) -> int:
    opts, multi, pos = _parse(args, "DUEAL")
    data = opts.get("D") or (pos[0] if pos else os.environ.get("PGDATA"))
    if not data:
        sys.stderr.write("initdb: error: no data directory specified\n"
                         "initdb: hint: You must identify the directory where the data for this "
                         "database system will reside.  Do this with either the invocation option "
                         "-D or the environment variable PGDATA.\n")
        return 1
    user = opts.get("U") or _user()
    if _user() == "root":
        sys.stderr.write('initdb: error: cannot be run as root\ninitdb: hint: Please log in '
                         '(using, e.g., "su") as the (unprivileged) user that will own the '
                         'server process.\n')
        return 1
    root = pkgdb.current()
    with hoststate.locked() as st:
        return services.initdb(st, root, data, user)


def pg_ctl(args: list[str]) -> int:
    opts, multi, pos = _parse(args, "DmlotW")
    data = opts.get("D") or os.environ.get("PGDATA")
    silent = "s" in opts
    if not pos:
        sys.stderr.write("pg_ctl: no operation specified\nTry \"pg_ctl --help\" for more "
                         "information.\n")
        return 1
    if not data:
        sys.stderr.write("pg_ctl: no database directory specified and environment variable "
                         "PGDATA unset\nTry \"pg_ctl --help\" for more information.\n")
        return 1
    if _user() == "root":
        sys.stderr.write("pg_ctl: cannot be run as root\nPlease log in (using, e.g., \"su\") as "
                         "the (unprivileged) user that will\nown the server process.\n")
        return 1
    op = pos[0]
    root = pkgdb.current()
    with hoststate.locked() as st:
        if op == "start":
            return services.pg_start(st, root, data, silent)
        if op == "stop":
            return services.pg_stop(st, root, data, silent)
        if op == "restart":
            if services.running(st, root, "postgresql") is not None:
                services.pg_stop(st, root, data, silent)
            return services.pg_start(st, root, data, silent)
        if op == "status":
            return services.pg_status(st, root, data)
        if op in ("reload", "promote"):
            if services.running(st, root, "postgresql") is None:
                sys.stderr.write(f'pg_ctl: PID file "{data}/postmaster.pid" does not exist\n'
                                 "Is server running?\n")
                return 1
            if not silent:
                _w("server signaled\n" if op == "reload" else "server promoting\n")
            return 0
    sys.stderr.write(f'pg_ctl: unrecognized operation mode "{op}"\nTry "pg_ctl --help" for more '
                     "information.\n")
    return 1
