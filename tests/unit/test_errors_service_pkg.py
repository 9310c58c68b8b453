"""errors.classify on the messages JailService and JailPackage decide on (FreeBSD's own texts:
rc.subr, service(8), jexec(8), pkg(8), sysrc(8))."""
from __future__ import annotations

import pytest

from freebsd_provider import errors as E
from freebsd_provider.host import common, pkg, service, sysrc
from freebsd_provider.ssh import Result


def res(argv, err="", code=1, out=""):
    return Result(list(argv), " ".join(argv), code, out, err)


CASES = [
    # libexec/rc/rc.subr, run_rc_command: stop of a stopped daemon (stderr)
    (service.stop("web", "nginx"), "nginx not running? (check /var/run/nginx.pid).\n", "", E.ServiceNotRunning),
    (service.stop("db", "postgresql"),
     "postgresql not running? (check /var/db/postgres/data17/postmaster.pid).\n", "", E.ServiceNotRunning),
    # rc.subr: status of a stopped daemon (stdout, exit 1)
    (service.status("web", "nginx"), "", "nginx is not running.\n", E.ServiceNotRunning),
    # rc.subr: start of a running daemon
    (service.start("web", "nginx"), "nginx already running?  (pid=1234).\n", "", E.ServiceAlreadyRunning),
    # usr.sbin/service/service.sh: no such rc script (stdout)
    (service.status("web", "nosuchd"), "",
     "nosuchd does not exist in /etc/rc.d or the local startup\n"
     "directories (/usr/local/etc/rc.d), or is not executable\n", E.NoRcScript),
    # service -j re-executes itself through jexec: a jail that is not running
    (service.status("web", "nginx"), 'jexec: jail "web" not found\n', "", E.JailNotRunning),
    (service.local_status("web"), 'jexec: jail "web" not found\n', "", E.JailNotRunning),
    (service.exists("web", "/var/db/x"), 'jexec: jail "web" not found\n', "", E.JailNotRunning),
    # pkg runs through jexec
    (pkg.state("webserver"), 'jexec: jail "webserver" not found\n', "", E.JailNotRunning),
    (pkg.install("webserver", ["nginx"]), 'jexec: jail "webserver" not found\n', "", E.JailNotRunning),
    (pkg.install("webserver", ["nosuchpkg"]),
     "pkg: No packages available to install matching 'nosuchpkg' have been found in the repositories\n",
     "", E.CommandFailed),
    # pkg not bootstrapped: jexec cannot exec /usr/local/sbin/pkg
    (pkg.reverse_deps("webserver"), "jexec: execvp: /usr/local/sbin/pkg: No such file or directory\n", "",
     E.NoSuchFile),
    # sysrc -j of a stopped jail; sysrc -x of a variable that is not set
    (sysrc.dump(jail="web"), 'jexec: jail "web" not found\n', "", E.JailNotRunning),
    (sysrc.delete("a_flags", jail="web"), "sysrc: unknown variable 'a_flags'\n", "", E.UnknownVariable),
]


@pytest.mark.parametrize("argv,err,out,kind", CASES, ids=[f"{c[3].__name__}-{i}" for i, c in enumerate(CASES)])
def test_classify(argv, err, out, kind):
    got = E.classify(res(argv, err, 1, out))
    assert type(got) is kind


def test_test_e_false_is_no_error_kind():
    """``test -e`` of a missing path prints nothing: a plain failure (the answer "no")."""
    assert type(E.classify(res(common.in_jail("web", ["/bin/test", "-e", "/x"])))) is E.CommandFailed
