"""nginx(8) as installed by www/nginx: ``-t`` / ``-T`` / ``-v`` / ``-V``; starting the daemon
directly is left to ``service nginx start`` (the rc script)."""
from __future__ import annotations

import sys

from .. import hoststate, pkgcatalog, pkgdb, services


def main(argv: list[str]) -> int:
    args = argv[1:]
    ver = pkgcatalog.PACKAGES["nginx"]["version"].split(",")[0].split("_")[0]
    if "-v" in args:
        sys.stderr.write(f"nginx version: nginx/{ver}\n")
        return 0
    if "-V" in args:
        sys.stderr.write(f"nginx version: nginx/{ver}\nbuilt with OpenSSL 3.5.4 30 Sep 2025\n"
                         "TLS SNI support enabled\nconfigure arguments: --prefix=/usr/local/etc/nginx "
                         "--with-cc-opt='-I /usr/local/include' --conf-path=/usr/local/etc/nginx/nginx.conf\n")
        return 0
    root = pkgdb.current()
    if "-t" in args or "-T" in args:
        ok, text = services.nginx_configtest(root)
        if "-q" in args and ok:
            return 0
        sys.stderr.write(text)
        if ok and "-T" in args:
            sys.stdout.write(f"# configuration file {services.NGINX_CONF}:\n"
                             + (root.read(services.NGINX_CONF) or ""))
        return 0 if ok else 1
    if "-s" in args:
        with hoststate.locked() as st:
            if services.running(st, root, "nginx") is None:
                sys.stderr.write('nginx: [error] open() "/var/run/nginx.pid" failed '
                                 "(2: No such file or directory)\n")
                return 1
            sig = args[args.index("-s") + 1] if args.index("-s") + 1 < len(args) else ""
            if sig in ("stop", "quit"):
                services.nginx_stop(st, root)
        return 0
    with hoststate.locked() as st:
        if services.running(st, root, "nginx") is not None:
            sys.stderr.write("nginx: [emerg] bind() to 0.0.0.0:80 failed (48: Address already in use)\n")
            return 1
        ok, text = services.nginx_configtest(root)
        if not ok:
            sys.stderr.write(text.splitlines()[0] + "\n")
            return 1
        services.nginx_start(st, root)
    return 0
