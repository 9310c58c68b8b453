"""A small generated FreeBSD base system (``base.txz``) for jails.

:func:`build_base_txz` writes an xz-compressed tar shaped like the release's base.txz (entries
``./bin/...``, root:wheel, FreeBSD modes): the directory tree, /etc (rc, rc.shutdown,
rc.subr, defaults/rc.conf, rc.d/*, passwd, group, master.passwd, services, login.conf, shells,
hosts, pkg/FreeBSD.conf, ...), placeholder programs in /bin /sbin /usr/bin /usr/sbin (a jail's
commands run the testbed host's programs; see jailctx.py), /var, /tmp, /root, an empty /dev,
/usr/local, COPYRIGHT and /bin/freebsd-version.  A few hundred KB.

The jail's ``/etc/rc`` (``exec.start = "/bin/sh /etc/rc"``) execs ``/usr/libexec/testbed-rc
start`` (tools/testbed_rc.py), which starts syslogd/cron and the enabled rc.d services;
``/etc/rc.shutdown`` execs ``testbed-rc stop``.
"""
from __future__ import annotations

import io
import tarfile
import time

from .provision import RC_DEFAULTS

PLACEHOLDER = "#!/bin/sh\n# FreeBSD %s (placeholder: the testbed runs the host's program)\nexit 0\n"

PASSWD = """# $FreeBSD$
#
root:*:0:0:Charlie &:/root:/bin/sh
toor:*:0:0:Bourne-again Superuser:/root:
daemon:*:1:1:Owner of many system processes:/root:/usr/sbin/nologin
operator:*:2:5:System &:/:/usr/sbin/nologin
bin:*:3:7:Binaries Commands and Source:/:/usr/sbin/nologin
tty:*:4:65533:Tty Sandbox:/:/usr/sbin/nologin
kmem:*:5:65533:KMem Sandbox:/:/usr/sbin/nologin
games:*:7:13:Games pseudo-user:/:/usr/sbin/nologin
news:*:8:8:News Subsystem:/:/usr/sbin/nologin
man:*:9:9:Mister Man Pages:/usr/share/man:/usr/sbin/nologin
sshd:*:22:22:Secure Shell Daemon:/var/empty:/usr/sbin/nologin
smmsp:*:25:25:Sendmail Submission User:/var/spool/clientmqueue:/usr/sbin/nologin
mailnull:*:26:26:Sendmail Default User:/var/spool/mqueue:/usr/sbin/nologin
bind:*:53:53:Bind Sandbox:/:/usr/sbin/nologin
unbound:*:59:59:Unbound DNS Resolver:/var/unbound:/usr/sbin/nologin
proxy:*:62:62:Packet Filter pseudo-user:/nonexistent:/usr/sbin/nologin
_pflogd:*:64:64:pflogd privsep user:/var/empty:/usr/sbin/nologin
_dhcp:*:65:65:dhcp programs:/var/empty:/usr/sbin/nologin
uucp:*:66:66:UUCP pseudo-user:/var/spool/uucppublic:/usr/local/libexec/uucp/uucico
pop:*:68:6:Post Office Owner:/nonexistent:/usr/sbin/nologin
auditdistd:*:78:77:Auditdistd unprivileged user:/var/empty:/usr/sbin/nologin
www:*:80:80:World Wide Web Owner:/nonexistent:/usr/sbin/nologin
ntpd:*:123:123:NTP Daemon:/var/db/ntp:/usr/sbin/nologin
_ypldap:*:160:160:YP LDAP unprivileged user:/var/empty:/usr/sbin/nologin
hast:*:845:845:HAST unprivileged user:/var/empty:/usr/sbin/nologin
tests:*:977:977:Unprivileged user for tests:/nonexistent:/usr/sbin/nologin
nobody:*:65534:65534:Unprivileged user:/nonexistent:/usr/sbin/nologin
"""

GROUP = """# $FreeBSD$
#
wheel:*:0:root
daemon:*:1:
kmem:*:2:
sys:*:3:
tty:*:4:
operator:*:5:root
mail:*:6:
bin:*:7:
news:*:8:
man:*:9:
games:*:13:
ftp:*:14:
staff:*:20:
sshd:*:22:
smmsp:*:25:
mailnull:*:26:
guest:*:31:
video:*:44:
realtime:*:47:
bind:*:53:
unbound:*:59:
proxy:*:62:
authpf:*:63:
_pflogd:*:64:
_dhcp:*:65:
uucp:*:66:
dialer:*:68:
network:*:69:
audit:*:77:
www:*:80:
ntpd:*:123:
_ypldap:*:160:
hast:*:845:
tests:*:977:
nogroup:*:65533:
nobody:*:65534:
"""

SERVICES = """#
# Network services, Internet style
#
ftp		 21/tcp	   #File Transfer [Control]
ssh		 22/tcp	   #Secure Shell Login
telnet		 23/tcp
smtp		 25/tcp	   mail		#Simple Mail Transfer
domain		 53/tcp	   #Domain Name Server
domain		 53/udp	   #Domain Name Server
http		 80/tcp	   www www-http	#World Wide Web HTTP
ntp		123/udp	   #Network Time Protocol
https		443/tcp
postgresql	5432/tcp   #PostgreSQL Database
"""

LOGIN_CONF = """# login.conf - login class capabilities database.
default:\\
	:passwd_format=sha512:\\
	:copyright=/etc/COPYRIGHT:\\
	:welcome=/var/run/motd:\\
	:setenv=BLOCKSIZE=K:\\
	:mail=/var/mail/$:\\
	:path=/sbin /bin /usr/sbin /usr/bin /usr/local/sbin /usr/local/bin ~/bin:\\
	:nologin=/var/run/nologin:\\
	:umask=022:

daemon:\\
	:mail@:\\
	:memorylocked=128M:\\
	:memoryuse=infinity:\\
	:tc=default:
"""

RC = """#!/bin/sh
#
# System startup script run by init on autoboot or after single-user
# (and by jail(8) as exec.start).
#
# testbed: the rc.d machinery is simulated by /usr/libexec/testbed-rc.

stty status '^T' 2> /dev/null
trap : 2
trap "echo 'Boot interrupted'; exit 1" 3

HOME=/
PATH=/sbin:/bin:/usr/sbin:/usr/bin
export HOME PATH

if [ -x /usr/libexec/testbed-rc ]; then
	exec /usr/libexec/testbed-rc start "$@"
fi
exit 0
"""

RC_SHUTDOWN = """#!/bin/sh
#
# Site-specific actions to take upon system shutdown (and jail(8)'s exec.stop).
#
# testbed: the rc.d machinery is simulated by /usr/libexec/testbed-rc.

HOME=/
PATH=/sbin:/bin:/usr/sbin:/usr/bin
export HOME PATH

if [ -x /usr/libexec/testbed-rc ]; then
	exec /usr/libexec/testbed-rc stop "$@"
fi
exit 0
"""

RC_SUBR = """# $FreeBSD$
# rc.subr - common functions for rc scripts (testbed stub: service(8) is simulated)
checkyesno() { eval _v=\\$$1; case $_v in [Yy][Ee][Ss]|[Tt][Rr][Uu][Ee]|[Oo][Nn]|1) return 0;; esac; return 1; }
load_rc_config() { . /etc/defaults/rc.conf; [ -r /etc/rc.conf ] && . /etc/rc.conf; return 0; }
run_rc_command() { return 0; }
"""

RC_D = {
    "syslogd": ('syslogd', 'syslogd_enable', '/usr/sbin/syslogd'),
    "cron": ('cron', 'cron_enable', '/usr/sbin/cron'),
    "sshd": ('sshd', 'sshd_enable', '/usr/sbin/sshd'),
    "netif": ('netif', '', ''),
    "routing": ('routing', '', ''),
    "jail": ('jail', 'jail_enable', ''),
    "ntpd": ('ntpd', 'ntpd_enable', '/usr/sbin/ntpd'),
    "pf": ('pf', 'pf_enable', ''),
}

PKG_CONF = """#
# To disable a repository, instead of modifying or removing this file,
# create a /usr/local/etc/pkg/repos/FreeBSD.conf file, e.g.:
#
#   mkdir -p /usr/local/etc/pkg/repos
#   echo "FreeBSD-ports: { enabled: no }" > /usr/local/etc/pkg/repos/FreeBSD.conf
#   echo "FreeBSD-ports-kmods: { enabled: no }" >> /usr/local/etc/pkg/repos/FreeBSD.conf
#

FreeBSD-ports: {
  url: "pkg+https://pkg.FreeBSD.org/${ABI}/quarterly",
  mirror_type: "srv",
  signature_type: "fingerprints",
  fingerprints: "/usr/share/keys/pkg",
  enabled: yes
}
FreeBSD-ports-kmods: {
  url: "pkg+https://pkg.FreeBSD.org/${ABI}/kmods_quarterly_${VERSION_MINOR}",
  mirror_type: "srv",
  signature_type: "fingerprints",
  fingerprints: "/usr/share/keys/pkg",
  enabled: yes
}
FreeBSD-base: {
  url: "pkg+https://pkg.FreeBSD.org/${ABI}/base_release_${VERSION_MINOR}",
  mirror_type: "srv",
  signature_type: "fingerprints",
  fingerprints: "/usr/share/keys/pkgbase-${VERSION_MAJOR}",
  enabled: no
}
"""

DIRS = ["bin", "boot", "boot/defaults", "dev", "etc", "etc/defaults", "etc/rc.d", "etc/pkg",
        "etc/periodic", "etc/ssh", "etc/mtree", "lib", "libexec", "media", "mnt", "net", "proc",
        "rescue", "root", "sbin", "tmp", "usr", "usr/bin", "usr/include", "usr/lib",
        "usr/lib32", "usr/libexec", "usr/local", "usr/sbin", "usr/share", "usr/share/misc",
        "usr/share/keys", "usr/share/keys/pkg", "usr/share/zoneinfo", "usr/tests", "var",
        "var/account", "var/at", "var/audit", "var/backups", "var/cache", "var/crash",
        "var/cron", "var/cron/tabs", "var/db", "var/db/pkg", "var/empty", "var/log", "var/mail",
        "var/run", "var/spool", "var/tmp", "var/yp"]
BIN = ["cat", "chmod", "cp", "date", "df", "echo", "expr", "hostname", "kill", "ln", "ls",
       "mkdir", "mv", "ps", "pwd", "rm", "rmdir", "sh", "sleep", "test", "[", "csh", "tcsh"]
SBIN = ["devfs", "dhclient", "ifconfig", "init", "ipfw", "kldload", "kldstat", "mount", "nologin",
        "pfctl", "ping", "reboot", "route", "sysctl", "umount", "zfs"]
USR_BIN = ["awk", "env", "fetch", "find", "grep", "head", "id", "less", "login", "netstat",
           "sed", "su", "tail", "tar", "top", "uname", "vi", "which", "xargs"]
USR_SBIN = ["chown", "cron", "jail", "jexec", "jls", "newsyslog", "ntpd", "pw", "service",
            "sshd", "syslogd", "sysrc", "tzsetup", "nologin"]


def _files(release: str, arch: str) -> list[tuple[str, str, int]]:
    major = release.split(".")[0]
    f: list[tuple[str, str, int]] = []
    f.append(("COPYRIGHT", "# $FreeBSD$\n\nThe compilation of software known as FreeBSD is "
                           "distributed under the following terms:\n\nCopyright (c) 1992-2025 "
                           "The FreeBSD Project.\n", 0o444))
    f.append(("bin/freebsd-version", "#!/bin/sh\n#\n# freebsd-version (testbed)\nUSERLAND_VERSION"
                                     f'="{release}"\necho "$USERLAND_VERSION"\n', 0o555))
    for d, names in (("bin", BIN), ("sbin", SBIN), ("usr/bin", USR_BIN), ("usr/sbin", USR_SBIN)):
        for n in names:
            f.append((f"{d}/{n}", PLACEHOLDER % n, 0o555))
    f += [
        ("etc/rc", RC, 0o644), ("etc/rc.shutdown", RC_SHUTDOWN, 0o644),
        ("etc/rc.subr", RC_SUBR, 0o644), ("etc/defaults/rc.conf", RC_DEFAULTS, 0o444),
        ("etc/passwd", PASSWD, 0o644), ("etc/group", GROUP, 0o644),
        ("etc/master.passwd", "\n".join(
            (ln if ln.startswith("#") or not ln else
             ":".join(ln.split(":")[:4] + ["", "0", "0"] + ln.split(":")[4:]))
            for ln in PASSWD.splitlines()) + "\n", 0o600),
        ("etc/services", SERVICES, 0o644), ("etc/login.conf", LOGIN_CONF, 0o644),
        ("etc/shells", "# List of acceptable shells for chpass(1).\n/bin/sh\n/bin/csh\n"
                       "/bin/tcsh\n", 0o644),
        ("etc/hosts", "::1\t\t\tlocalhost localhost.my.domain\n127.0.0.1\t\tlocalhost "
                      "localhost.my.domain\n", 0o644),
        ("etc/motd.template", f"FreeBSD {release} (GENERIC) releng/{release[:4]}\n\nWelcome to "
                              "FreeBSD!\n", 0o644),
        ("etc/fstab", "", 0o644), ("etc/crontab", "SHELL=/bin/sh\nPATH=/etc:/bin:/sbin:/usr/bin:"
                                                  "/usr/sbin\n", 0o644),
        ("etc/syslog.conf", "*.err;kern.warning;auth.notice;mail.crit\t\t/dev/console\n"
                            "*.notice;authpriv.none;kern.debug;lpr.info;mail.crit;news.err\t"
                            "/var/log/messages\n", 0o644),
        ("etc/newsyslog.conf", "/var/log/messages\t\t\t644  5\t   1000 @0101T JC\n", 0o644),
        ("etc/pkg/FreeBSD.conf", PKG_CONF, 0o644),
        ("etc/ssh/sshd_config", "#PermitRootLogin no\nSubsystem\tsftp\t/usr/libexec/sftp-server\n",
         0o644),
        ("boot/defaults/loader.conf", "# Loader defaults (testbed)\nkernel=\"kernel\"\n", 0o444),
        ("root/.profile", "PATH=/sbin:/bin:/usr/sbin:/usr/bin:/usr/local/sbin:/usr/local/bin:"
                          "~/bin\nexport PATH\nHOME=/root\nexport HOME\nTERM=${TERM:-xterm}\n"
                          "export TERM\nPAGER=less\nexport PAGER\n", 0o644),
        ("root/.shrc", "# $FreeBSD$\n# .shrc - bourne shell startup file\n", 0o644),
        ("usr/share/misc/termcap", "", 0o644),
        ("var/log/messages", "", 0o644),
        ("var/run/ld-elf.so.hints", "", 0o444),
        ("var/db/freebsd-update-version", release + "\n", 0o644),
        ("usr/lib/os-release", f'NAME=FreeBSD\nVERSION="{release}"\nVERSION_ID="{release[:4]}"\n'
                               f'ID=freebsd\nANSI_COLOR="0;31"\nPRETTY_NAME="FreeBSD {release}"\n'
                               'CPE_NAME="cpe:/o:freebsd:freebsd:%s"\nHOME_URL="https://FreeBSD.org/"\n'
                               'BUG_REPORT_URL="https://bugs.FreeBSD.org/"\n' % release[:4], 0o444),
    ]
    for n, (name, rcvar, cmd) in RC_D.items():
        body = ("#!/bin/sh\n#\n# $FreeBSD$\n#\n\n# PROVIDE: %s\n# REQUIRE: FILESYSTEMS\n\n"
                ". /etc/rc.subr\n\nname=\"%s\"\n" % (name, name))
        if rcvar:
            body += f'rcvar="{rcvar}"\n'
        if cmd:
            body += f'command="{cmd}"\n'
        body += '\nload_rc_config $name\nrun_rc_command "$1"\n'
        f.append((f"etc/rc.d/{n}", body, 0o555))
    f.append(("usr/share/keys/pkg/README", f"FreeBSD {major} pkg signing keys (testbed)\n", 0o644))
    return f


def build_base_txz(dest_path: str, release: str = "15.0-RELEASE", arch: str = "amd64") -> str:
    """Write the generated base.txz to ``dest_path`` (a real path); return it."""
    mtime = int(time.time())

    def info(name: str, typ: bytes, mode: int, size: int = 0) -> tarfile.TarInfo:
        ti = tarfile.TarInfo("./" + name if name else ".")
        ti.type = typ
        ti.mode = mode
        ti.uid = ti.gid = 0
        ti.uname, ti.gname = "root", "wheel"
        ti.mtime = mtime
        ti.size = size
        return ti

    with tarfile.open(dest_path, "w:xz", format=tarfile.PAX_FORMAT) as tf:
        tf.addfile(info("", tarfile.DIRTYPE, 0o755))
        for d in DIRS:
            mode = 0o1777 if d in ("tmp", "var/tmp") else (0o700 if d in ("root", "var/cron/tabs")
                                                            else 0o755)
            if d == "var/empty":
                mode = 0o555
            tf.addfile(info(d, tarfile.DIRTYPE, mode))
        for name, text, mode in _files(release, arch):
            data = text.encode()
            tf.addfile(info(name, tarfile.REGTYPE, mode, len(data)), io.BytesIO(data))
        for link, target in (("etc/os-release", "../var/run/os-release"),
                             ("home", "usr/home"), ("sys", "usr/src/sys")):
            ti = info(link, tarfile.SYMTYPE, 0o755)
            ti.linkname = target
            tf.addfile(ti)
        tf.addfile(info("usr/home", tarfile.DIRTYPE, 0o755))
    return dest_path
