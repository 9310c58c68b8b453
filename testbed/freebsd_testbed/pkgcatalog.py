"""The package repository the simulated host sees: FreeBSD-ports quarterly for FreeBSD:15:amd64
as of March 2026 (plus the empty-for-us FreeBSD-ports-kmods), served offline.

Each package: ``name, version, origin, comment, deps (names), flatsize (installed bytes),
pkgsize (download bytes), files ({path: text or None}), symlinks, launchers ({path: program}),
users/groups (created by the pre-install script), message (pkg-message), rcscripts``.
``launchers`` are binaries the testbed simulates: installing the package writes a launcher
(dispatch.launcher_text) at that path in the target root; the basename selects the tool.

:func:`lookup` resolves ``name`` / ``name-version`` / ``origin``; :func:`closure` gives the
packages to install for a request, dependencies first (the order pkg's solver prints them in).
"""
from __future__ import annotations

from typing import Any

ABI = "FreeBSD:15:amd64"
REPOS = ("FreeBSD-ports", "FreeBSD-ports-kmods")
REPO_URL = f"pkg+https://pkg.FreeBSD.org/{ABI}/quarterly"
REPO_COUNTS = {"FreeBSD-ports": 36187, "FreeBSD-ports-kmods": 208}
PKG_VERSION = "2.5.1"
BOOTSTRAP_CERT = "pkg.freebsd.org.2013102301"

PG_VERSION = "17.9"
PG_DATA = "/var/db/postgres/data17"

NGINX_CONF = r"""
#user  nobody;
worker_processes  1;

# This default error log path is compiled-in to make sure configuration parsing
# errors are logged somewhere, especially during unattended boot when stderr
# isn't normally logged anywhere. This path will be touched on every nginx
# start regardless of error log location configured here. See
# https://trac.nginx.org/nginx/ticket/147 for more info.
#
#error_log  /var/log/nginx/error.log;
#

#pid        logs/nginx.pid;


events {
    worker_connections  1024;
}


http {
    include       mime.types;
    default_type  application/octet-stream;

    #log_format  main  '$remote_addr - $remote_user [$time_local] "$request" '
    #                  '$status $body_bytes_sent "$http_referer" '
    #                  '"$http_user_agent" "$http_x_forwarded_for"';

    #access_log  logs/access.log  main;

    sendfile        on;
    #tcp_nopush     on;

    #keepalive_timeout  0;
    keepalive_timeout  65;

    #gzip  on;

    server {
        listen       80;
        server_name  localhost;

        #charset koi8-r;

        #access_log  logs/host.access.log  main;

        location / {
            root   /usr/local/www/nginx;
            index  index.html index.htm;
        }

        #error_page  404              /404.html;

        # redirect server error pages to the static page /50x.html
        #
        error_page   500 502 503 504  /50x.html;
        location = /50x.html {
            root   /usr/local/www/nginx-dist;
        }
    }
}
""".lstrip("\n")

MIME_TYPES = """
types {
    text/html                                        html htm shtml;
    text/css                                         css;
    text/xml                                         xml;
    image/gif                                        gif;
    image/jpeg                                       jpeg jpg;
    application/javascript                           js;
    application/atom+xml                             atom;
    application/rss+xml                              rss;

    text/mathml                                      mml;
    text/plain                                       txt;
    image/png                                        png;
    image/svg+xml                                    svg svgz;
    image/x-icon                                     ico;
    application/json                                 json;
    application/pdf                                  pdf;
    application/zip                                  zip;
    application/octet-stream                         bin exe dll;
    application/octet-stream                         iso img;
    video/mp4                                        mp4;
}
""".lstrip("\n")

NGINX_INDEX = """<!DOCTYPE html>
<html>
<head>
<title>Welcome to nginx!</title>
<style>
html { color-scheme: light dark; }
body { width: 35em; margin: 0 auto;
font-family: Tahoma, Verdana, Arial, sans-serif; }
</style>
</head>
<body>
<h1>Welcome to nginx!</h1>
<p>If you see this page, the nginx web server is successfully installed and
working. Further configuration is required.</p>

<p>For online documentation and support please refer to
<a href="http://nginx.org/">nginx.org</a>.<br/>
Commercial support is available at
<a href="http://nginx.com/">nginx.com</a>.</p>

<p><em>Thank you for using nginx.</em></p>
</body>
</html>
"""

NGINX_50X = """<!DOCTYPE html>
<html>
<head>
<title>Error</title>
<style>
html { color-scheme: light dark; }
body { width: 35em; margin: 0 auto;
font-family: Tahoma, Verdana, Arial, sans-serif; }
</style>
</head>
<body>
<h1>An error occurred.</h1>
<p>Sorry, the page you are looking for is currently unavailable.<br/>
Please try again later.</p>
<p>If you are the system administrator of this resource then you should check
the error log for details.</p>
<p><em>Faithfully yours, nginx.</em></p>
</body>
</html>
"""

NGINX_RC = r"""#!/bin/sh

# PROVIDE: nginx
# REQUIRE: LOGIN cleanvar
# KEYWORD: shutdown

#
# Add the following lines to /etc/rc.conf to enable nginx:
# nginx_enable (bool):		Set to "NO" by default.
#				Set it to "YES" to enable nginx
# nginx_profiles (str):		Set to "" by default.
#				Define your profiles here.
# nginx_pid_prefix (str):	Set to "" by default.
#				When using profiles manually assign value to "nginx_"
#				for prevent collision with other PIDs names.
# nginxlimits_enable (bool):	Set to "NO" by default.
#				Set it to yes to run `limits $limits_args`
#				just before nginx starts.
# nginx_reload_quiet (bool):	Set to "NO" by default.
#				Set it to yes to suppress info output when testng config.
# nginx_flags (str):		Set to "" by default.
#				Extra flags passed to start command.
# nginxlimits_args (str):	Default to "-e -U www"
#				Arguments of pre-start limits run.
# nginx_http_accept_enable (bool): Set to "NO" by default.
#				Set to yes to check for accf_http kernel module
#				on start up and load if not loaded.
# nginx_sig_stop (str):		Default to "TERM"

. /etc/rc.subr

name="nginx"
rcvar=nginx_enable

start_precmd="nginx_prestart"
stop_precmd="nginx_prestop"
restart_precmd="nginx_checkconfig"
reload_precmd="nginx_checkconfig"
configtest_cmd="nginx_checkconfig"
gracefulstop_cmd="nginx_gracefulstop"
upgrade_precmd="nginx_checkconfig"
upgrade_cmd="nginx_upgrade"
command="/usr/local/sbin/nginx"
_tmpprefix="/var/tmp/nginx"
pidfile=${nginx_pidfile:-"/var/run/nginx.pid"}
required_files=${nginx_config:-"/usr/local/etc/nginx/nginx.conf"}
extra_commands="reload configtest upgrade gracefulstop"

load_rc_config $name

: ${nginx_enable="NO"}
: ${nginxlimits_enable="NO"}
: ${nginxlimits_args="-e -U www"}
: ${nginx_http_accept_enable="NO"}
: ${nginx_reload_quiet="NO"}

nginx_checkconfig()
{
	if checkyesno nginx_reload_quiet; then
		eval ${command} ${nginx_flags} -t -q
	else
		echo "Performing sanity check on nginx configuration:"
		eval ${command} ${nginx_flags} -t
	fi
}

run_rc_command "$1"
"""

PG_RC = r"""#!/bin/sh

# PROVIDE: postgresql
# REQUIRE: LOGIN
# KEYWORD: shutdown
#
# Add the following line to /etc/rc.conf to enable PostgreSQL:
#
#  postgresql_enable="YES"
#  # optional
#  postgresql_data="/var/db/postgres/data17"
#  postgresql_flags="-w -s -m fast"
#  postgresql_initdb_flags="--encoding=utf-8 --lc-collate=C"
#  postgresql_login_class="default"
#  postgresql_profiles=""
#
# See /usr/local/share/doc/postgresql/README-server for more info
#
# This scripts takes one of the following commands:
#
#   start stop restart reload status initdb
#
# For postmaster startup options, edit ${postgresql_data}/postgresql.conf

command=/usr/local/bin/pg_ctl

. /etc/rc.subr

load_rc_config postgresql

# set defaults
postgresql_enable=${postgresql_enable:-"NO"}
postgresql_flags=${postgresql_flags:-"-w -s -m fast"}
postgresql_user=${postgresql_user:-"postgres"}
eval postgresql_data=${postgresql_data:-"~${postgresql_user}/data17"}
postgresql_login_class=${postgresql_login_class:-"default"}
postgresql_initdb_flags=${postgresql_initdb_flags:-"--encoding=utf-8 --lc-collate=C"}

name=postgresql
rcvar=postgresql_enable
extra_commands="reload initdb promote"

start_cmd="postgresql_command start"
stop_cmd="postgresql_command stop"
restart_cmd="postgresql_command restart"
reload_cmd="postgresql_command reload"
status_cmd="postgresql_command status"
promote_cmd="postgresql_command promote"

initdb_cmd="postgresql_initdb"

command_args="-D ${postgresql_data} ${postgresql_flags}"

postgresql_command()
{
    su -l -c ${postgresql_login_class} ${postgresql_user} -c "exec ${command} ${command_args} ${rc_arg}"
}

postgresql_initdb()
{
    su -l -c ${postgresql_login_class} ${postgresql_user} -c "exec /usr/local/bin/initdb ${postgresql_initdb_flags} -D ${postgresql_data} -U ${postgresql_user}"
}

run_rc_command "$1"
"""

NGINX_MESSAGE = """Recent version of the NGINX introduces dynamic modules support.  In
FreeBSD ports tree this feature was enabled by default with the DSO
knob.  Several vendor's and third-party modules have been converted
to dynamic modules.  Unset the DSO knob builds an NGINX without
dynamic modules support.

To load a module at runtime, include the new `load_module'
directive in the main context, specifying the path to the shared
object file for the module, enclosed in quotation marks.  When you
reload the configuration or restart NGINX, the module is loaded in.
It is possible to specify a path relative to the source directory,
or a full path, please see
https://www.nginx.com/blog/dynamic-modules-nginx-1-9-11/ and
http://nginx.org/en/docs/ngx_core_module.html#load_module for
details.

Default path for the NGINX dynamic modules is

/usr/local/libexec/nginx."""

PG_SERVER_MESSAGE = """For procedural languages and postgresql functions, please note that
you might have to update them when updating the server.

If you have many tables and many clients running, consider raising
kern.maxfiles using sysctl(8), or reconfigure your kernel
appropriately.

The port is set up to use autovacuum for new databases, but you might
also want to vacuum and perhaps backup your database regularly. There
is a periodic script, /usr/local/etc/periodic/daily/502.pgsql, that
you may find useful. You can use it to backup and perform vacuum on all
databases nightly. Per default, it performs `vacuum analyze'. See the
script for instructions. For autovacuum settings, please review
~postgres/data/postgresql.conf.

If you plan to access your PostgreSQL server using ODBC, please
consider running the SQL script /usr/local/share/postgresql/odbc.sql
to get the functions required for ODBC compliance.

Please note that if you use the rc script,
/usr/local/etc/rc.d/postgresql, to initialize the database, unicode
(UTF-8) will be used to store character data by default.  Set
postgresql_initdb_flags or use login.conf settings described below to
alter this behaviour. See the start rc script for more info.

To set limits, environment stuff like locale and collation and other
things, you can set up a class in /etc/login.conf before initializing
the database. Add something similar to this to /etc/login.conf:
---
postgres:\\
        :lang=en_US.UTF-8:\\
        :setenv=LC_COLLATE=C:\\
        :tc=default:
---
and run `cap_mkdb /etc/login.conf'.
Then add 'postgresql_class="postgres"' to /etc/rc.conf.

======================================================================

To initialize the database, run

  /usr/local/etc/rc.d/postgresql initdb

You can then start PostgreSQL by running:

  /usr/local/etc/rc.d/postgresql start

For postmaster settings, see ~postgres/data/postgresql.conf

NB. FreeBSD's PostgreSQL port logs to syslog by default
    See ~postgres/data/postgresql.conf for more info

NB. If you're not using a checksumming filesystem like ZFS, you might
    wish to enable data checksumming. It can be enabled during
    the initdb phase, by adding the "--data-checksums" flag to
    the postgresql_initdb_flags rcvar. Otherwise you can enable it later by
    pg_checksums.  Check the initdb(1) manpage for more info
    and make sure you understand the performance implications.

======================================================================

To run PostgreSQL at startup, add
'postgresql_enable="YES"' to /etc/rc.conf"""

PG_CLIENT_MESSAGE = """The PostgreSQL port has a collection of "side orders":

postgresql-docs
  For all of the html documentation

p5-Pg
  A perl5 API for client access to PostgreSQL databases.

postgresql-tcltk
  If you want tcl/tk client support.

postgresql-jdbc
  For Java JDBC support.

postgresql-odbc
  For client access from unix applications using ODBC as access
  method. Not needed to access unix PostgreSQL servers from Win32
  using ODBC. See below.

ruby-postgres, py-psycopg2
  For client access to PostgreSQL databases using the ruby & python
  languages.

postgresql-plperl, postgresql-pltcl & postgresql-plruby
  For using perl5, tcl & ruby as procedural languages.

postgresql-contrib
  Lots of contributed utilities, postgresql functions and
  datatypes. There you find pg_standby, pgcrypto and many other cool
  things.

etc..."""

PKG_MESSAGE = """If you are upgrading from the old package format, first run:

  # pkg2ng"""


def _lib(name: str, version: str, origin: str, comment: str, flatsize: int, libs: list[str],
         deps: list[str] | None = None, **kw: Any) -> dict[str, Any]:
    files: dict[str, Any] = {f"/usr/local/lib/{lib}": None for lib in libs}
    files[f"/usr/local/share/licenses/{name}-{version}/catalog.mk"] = None
    d = dict(name=name, version=version, origin=origin, comment=comment, deps=deps or [],
             flatsize=flatsize, pkgsize=max(flatsize // 3, 2048), files=files, symlinks={},
             launchers={}, users=[], groups=[], message="", rcscripts=[],
             maintainer="ports@FreeBSD.org", www="", licenses=[], prefix="/usr/local")
    d.update(kw)
    return d


_PG_BIN = ["psql", "createuser", "createdb", "dropdb", "dropuser", "pg_dump", "pg_dumpall",
           "pg_restore", "pg_isready", "clusterdb", "reindexdb", "vacuumdb"]
_PG_SERVER_BIN = ["initdb", "pg_ctl", "postgres", "pg_controldata", "pg_resetwal",
                  "pg_upgrade", "pg_basebackup", "pg_checksums", "pg_rewind"]
# binaries the testbed simulates (the others are inert files)
_PG_SIMULATED = {"psql", "createuser", "createdb", "dropdb", "dropuser", "initdb", "pg_ctl",
                 "pg_isready"}

PACKAGES: dict[str, dict[str, Any]] = {}


def _add(d: dict[str, Any]) -> None:
    PACKAGES[d["name"]] = d


_add(_lib("pkg", PKG_VERSION, "ports-mgmt/pkg", "Package manager", 37716296,
          ["libpkg.so.4"], maintainer="pkg@FreeBSD.org", www="https://github.com/freebsd/pkg",
          launchers={"/usr/local/sbin/pkg": "pkg"}, licenses=["BSD2CLAUSE"]))
PACKAGES["pkg"]["files"].update({"/usr/local/sbin/pkg-static": None,
                                 "/usr/local/etc/pkg.conf.sample": None})
_add(_lib("pcre2", "10.47", "devel/pcre2", "Perl Compatible Regular Expressions library, version 2",
          4733021, ["libpcre2-8.so.0", "libpcre2-16.so.0", "libpcre2-32.so.0",
                    "libpcre2-posix.so.3"], www="https://www.pcre.org/"))
_add(_lib("nginx", "1.28.2,3", "www/nginx", "Robust and small WWW server", 4702720, [],
          deps=["pcre2"], maintainer="joneum@FreeBSD.org", www="https://nginx.com/",
          launchers={"/usr/local/sbin/nginx": "nginx"}, message=NGINX_MESSAGE,
          users=[("www", 80)], groups=[("www", 80)], rcscripts=["nginx"],
          licenses=["BSD2CLAUSE"]))
PACKAGES["nginx"]["files"].update({
    "/usr/local/etc/rc.d/nginx": NGINX_RC,
    "/usr/local/etc/nginx/nginx.conf": NGINX_CONF,
    "/usr/local/etc/nginx/nginx.conf-dist": NGINX_CONF,
    "/usr/local/etc/nginx/mime.types": MIME_TYPES,
    "/usr/local/etc/nginx/mime.types-dist": MIME_TYPES,
    "/usr/local/etc/nginx/fastcgi_params": "fastcgi_param  QUERY_STRING       $query_string;\n",
    "/usr/local/etc/nginx/fastcgi_params-dist": "fastcgi_param  QUERY_STRING       $query_string;\n",
    "/usr/local/etc/nginx/koi-utf": "", "/usr/local/etc/nginx/koi-win": "",
    "/usr/local/etc/nginx/win-utf": "",
    "/usr/local/etc/nginx/scgi_params": "", "/usr/local/etc/nginx/uwsgi_params": "",
    "/usr/local/www/nginx-dist/index.html": NGINX_INDEX,
    "/usr/local/www/nginx-dist/50x.html": NGINX_50X,
    "/usr/local/share/man/man8/nginx.8.gz": None,
})
PACKAGES["nginx"]["symlinks"] = {"/usr/local/www/nginx": "/usr/local/www/nginx-dist"}
PACKAGES["nginx"]["dirs"] = ["/var/log/nginx", "/var/tmp/nginx"]
PACKAGES["nginx"]["pkgsize"] = 584920
PACKAGES["pcre2"]["pkgsize"] = 1418104

_add(_lib("libiconv", "1.18", "converters/libiconv", "Character set conversion library",
          2578408, ["libiconv.so.2", "libcharset.so.1"], www="https://www.gnu.org/software/libiconv/"))
_add(_lib("indexinfo", "0.3.1_1", "print/indexinfo", "Utility to regenerate the GNU info page index",
          10510, [], www="https://github.com/bapt/indexinfo"))
_add(_lib("gettext-runtime", "0.23.1", "devel/gettext-runtime", "GNU gettext runtime libraries and programs",
          1638924, ["libintl.so.8", "libasprintf.so.0"], deps=["indexinfo"],
          www="https://www.gnu.org/software/gettext/"))
_add(_lib("icu", "76.1,1", "devel/icu", "International Components for Unicode (from IBM)",
          36924587, ["libicudata.so.76", "libicui18n.so.76", "libicuuc.so.76"],
          www="https://icu.unicode.org/"))
_add(_lib("libxml2", "2.14.6", "textproc/libxml2", "XML parser library for GNOME",
          2693752, ["libxml2.so.16"], www="https://gitlab.gnome.org/GNOME/libxml2"))
_add(_lib("liblz4", "1.10.0,1", "archivers/liblz4", "LZ4 compression library, lossless and very fast",
          481872, ["liblz4.so.1"], www="https://lz4.org/"))
_add(_lib("zstd", "1.5.7_1", "archivers/zstd", "Fast real-time compression algorithm",
          3007140, ["libzstd.so.1"], deps=["liblz4"], www="https://facebook.github.io/zstd/"))
_add(_lib("readline", "8.2.13_2", "devel/readline", "Library for editing command lines as they are typed",
          1703940, ["libreadline.so.8", "libhistory.so.8"], deps=["indexinfo"],
          www="https://tiswww.cwru.edu/php/chet/readline/rltop.html"))
_add(_lib("postgresql17-client", PG_VERSION, "databases/postgresql17-client",
          "PostgreSQL database (client)", 12436117, ["libpq.so.5", "libecpg.so.6"],
          deps=["gettext-runtime", "readline", "liblz4", "zstd"],
          maintainer="pgsql@FreeBSD.org", www="https://www.postgresql.org/",
          message=PG_CLIENT_MESSAGE, licenses=["PostgreSQL"]))
PACKAGES["postgresql17-client"]["files"].update({f"/usr/local/bin/{b}": None for b in _PG_BIN})
PACKAGES["postgresql17-client"]["launchers"] = {
    f"/usr/local/bin/{b}": b for b in _PG_BIN if b in _PG_SIMULATED}
_add(_lib("postgresql17-server", PG_VERSION, "databases/postgresql17-server",
          "PostgreSQL is the most advanced open-source database available anywhere",
          56233214, [], deps=["postgresql17-client", "icu", "libxml2", "gettext-runtime",
                              "libiconv", "liblz4", "zstd", "readline"],
          maintainer="pgsql@FreeBSD.org", www="https://www.postgresql.org/",
          message=PG_SERVER_MESSAGE, users=[("postgres", 770)], groups=[("postgres", 770)],
          rcscripts=["postgresql"], licenses=["PostgreSQL"]))
PACKAGES["postgresql17-server"]["files"].update({f"/usr/local/bin/{b}": None for b in _PG_SERVER_BIN})
PACKAGES["postgresql17-server"]["files"]["/usr/local/etc/rc.d/postgresql"] = PG_RC
PACKAGES["postgresql17-server"]["files"]["/usr/local/etc/periodic/daily/502.pgsql"] = ""
PACKAGES["postgresql17-server"]["launchers"] = {
    f"/usr/local/bin/{b}": b for b in _PG_SERVER_BIN if b in _PG_SIMULATED}
PACKAGES["postgresql17-server"]["dirs"] = ["/var/db/postgres"]

# vim (console flavour pulls no X11)
_add(_lib("vim", "9.1.1990", "editors/vim", "Improved version of the vi editor (console flavor)",
          40370331, [], deps=["gettext-runtime", "libiconv"],
          www="https://www.vim.org/", maintainer="adamw@FreeBSD.org", licenses=["VIM"]))
PACKAGES["vim"]["files"].update({"/usr/local/bin/vim": None, "/usr/local/bin/vimdiff": None,
                                 "/usr/local/bin/xxd": None})
# curl
_add(_lib("ca_root_nss", "3.117", "security/ca_root_nss",
          "Root certificate bundle from the Mozilla Project", 1092637, [],
          www="https://hg.mozilla.org/projects/nss/"))
PACKAGES["ca_root_nss"]["files"]["/usr/local/share/certs/ca-root-nss.crt"] = None
_add(_lib("libunistring", "1.3", "devel/libunistring", "Unicode string library", 2253552,
          ["libunistring.so.5"], deps=["indexinfo"], www="https://www.gnu.org/software/libunistring/"))
_add(_lib("libidn2", "2.3.8", "dns/libidn2", "Implementation of IDNA2008 internationalized domain names",
          401316, ["libidn2.so.0"], deps=["gettext-runtime", "indexinfo", "libunistring"],
          www="https://www.gnu.org/software/libidn/#libidn2"))
_add(_lib("libpsl", "0.21.5_2", "dns/libpsl", "C library to handle the Public Suffix List",
          110716, ["libpsl.so.5"], deps=["libidn2", "libunistring"],
          www="https://rockdaboot.github.io/libpsl/"))
_add(_lib("libnghttp2", "1.67.1", "www/libnghttp2", "HTTP/2.0 C Library", 272012,
          ["libnghttp2.so.14"], www="https://nghttp2.org/"))
_add(_lib("libssh2", "1.11.1,3", "security/libssh2", "Library implementing the SSH2 protocol",
          1130270, ["libssh2.so.1"], www="https://www.libssh2.org/"))
_add(_lib("curl", "8.17.0", "ftp/curl", "Command line tool and library for transferring data with URLs",
          4897792, ["libcurl.so.4"], deps=["ca_root_nss", "libnghttp2", "libpsl", "libidn2",
                                           "libssh2", "zstd"],
          www="https://curl.se/", maintainer="sunpoet@FreeBSD.org", licenses=["MIT"]))
PACKAGES["curl"]["files"]["/usr/local/bin/curl"] = None


def lookup(spec: str) -> dict[str, Any] | None:
    """A package by name, name-version or origin (None when the repository has no match)."""
    if spec in PACKAGES:
        return PACKAGES[spec]
    for p in PACKAGES.values():
        if spec == p["origin"] or spec == f"{p['name']}-{p['version']}":
            return p
    return None


def closure(names: list[str]) -> list[dict[str, Any]]:
    """The packages ``names`` need, each once, dependencies before dependants."""
    out: list[dict[str, Any]] = []
    seen: set[str] = set()

    def visit(n: str) -> None:
        if n in seen:
            return
        seen.add(n)
        p = PACKAGES[n]
        for d in p["deps"]:
            visit(d)
        out.append(p)

    for n in names:
        visit(n)
    return out


def pkgfile(p: dict[str, Any]) -> str:
    return f"{p['name']}-{p['version']}"
