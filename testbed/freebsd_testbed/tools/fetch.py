"""fetch(1) [SRC usr.bin/fetch/fetch.c], offline.

Served URLs: the FreeBSD release sets (``https://download.freebsd.org/.../RELEASE/base.txz``,
built by basesystem.build_base_txz and cached under the host's /var/db/testbed/cache) when the
calling root can reach the internet, and ``http://ADDR[:PORT]/path`` answered by a running
nginx (localhost: the caller's own; an address: through net.reachable and nginx's listen).
Without ``-q`` the final statistics line goes to stderr like fetch's non-tty output.
"""
from __future__ import annotations

import os
import re
import shutil
import sys
import time

from .. import hoststate, pkgdb, services

USAGE = ("usage: fetch [-146AaFlMmnPpqRrsUv] [-B bytes] [--bind-address=host]\n"
         "       [--ca-cert=file] [--ca-path=dir] [--cert=file] [--crl=file]\n"
         "       [-i file] [--key=file] [-N file] [--no-passive] [--no-proxy=list]\n"
         "       [--no-sslv3] [--no-tlsv1] [--no-verify-hostname] [--no-verify-peer]\n"
         "       [-o file] [--referer=URL] [-S bytes] [-T seconds]\n"
         "       [--user-agent=agent-string] [-w seconds] URL ...\n"
         "       fetch [-146AaFlMmnPpqRrsUv] [-B bytes] [--bind-address=host]\n"
         "       [--ca-cert=file] [--ca-path=dir] [--cert=file] [--crl=file]\n"
         "       [-i file] [--key=file] [-N file] [--no-passive] [--no-proxy=list]\n"
         "       [--no-sslv3] [--no-tlsv1] [--no-verify-hostname] [--no-verify-peer]\n"
         "       [-o file] [--referer=URL] [-S bytes] [-T seconds]\n"
         "       [--user-agent=agent-string] [-w seconds] -h host -f file [-c dir]\n")

DIST = re.compile(r"^https?://(?:download|ftp)\.freebsd\.org/(?:pub/FreeBSD/)?(?:ftp/)?releases/"
                  r"(amd64|arm64)(?:/\w+)?/(\d+\.\d+-RELEASE)/(base|kernel|lib32|src|ports)\.txz$",
                  re.I)


class FetchError(Exception):
    pass


def _stat_bytes(n: int) -> str:
    """fetch.c's stat_bytes: "%4jd %cB" with the prefix scaled while > 9999."""
    prefixes = " kMGTP"
    i = 0
    while n > 9999 and i < len(prefixes) - 1:
        n //= 1024
        i += 1
    return f"{n:>4} {prefixes[i]}B"


def _stat_line(name: str, size: int, secs: float) -> str:
    """The final statistics line (non-tty: only this one, at the end of the transfer)."""
    bps = _stat_bytes(int(size / secs)) + "ps" if secs > 0.0005 else "?? Bps"
    s = int(secs)
    if s >= 3600:
        eta = f"{s // 3600:02d}h{s % 3600 // 60:02d}m"
    elif s >= 60:
        eta = f"{s // 60:02d}m{s % 60:02d}s"
    else:
        eta = f"{s:02d}s"
    return f"{name:<46.46}     {_stat_bytes(size)} {bps} {eta:>6}\n"


def _internet_error(root: pkgdb.Root) -> str | None:
    from . import pkg as pkgtool
    return pkgtool._net_error(root)


def _dist(url: str, m: re.Match, root: pkgdb.Root) -> bytes | str:
    err = _internet_error(root)
    if err:
        raise FetchError(f"{url}: {err}")
    arch, release, dist = m.group(1), m.group(2), m.group(3)
    if dist != "base":
        raise FetchError(f"{url}: Not Found")
    try:
        from .. import basesystem
    except ImportError:
        raise FetchError(f"{url}: Not Found")
    cache = hoststate.statepath(f"/var/db/testbed/cache/base-{release}-{arch}.txz")
    if not os.path.exists(cache):
        os.makedirs(os.path.dirname(cache), exist_ok=True)
        tmp = cache + f".tmp{os.getpid()}"
        basesystem.build_base_txz(tmp, release, arch)
        os.replace(tmp, cache)
    return cache  # a path: copied by the caller


def _http(url: str, root: pkgdb.Root) -> bytes:
    m = re.match(r"^http://(\[[^\]]+\]|[^/:]+)(?::(\d+))?(/[^?#]*)?", url)
    if not m:
        raise FetchError(f"{url}: Invalid URL")
    host, port, path = m.group(1), int(m.group(2) or 80), m.group(3) or "/"
    with hoststate.locked(write=False) as st:
        if host in ("localhost", "127.0.0.1"):
            rec = services.running(st, root, "nginx")
            if rec is None or not any(p == port and a in ("0.0.0.0", "127.0.0.1")
                                      for a, p in rec["listen"]):
                raise FetchError(f"{url}: Connection refused")
            sroot = root
        else:
            if not re.fullmatch(r"\d+\.\d+\.\d+\.\d+", host):
                raise FetchError(f"{url}: No address record")
            rec, err, _client = services.tcp_connect(st, root.jail, host, port, "nginx")
            if rec is None:
                raise FetchError(f"{url}: {err or 'Connection refused'}")
            sroot = pkgdb.for_jail(st, rec["jail"]) if rec.get("jail") else \
                pkgdb.Root(None, "", None, host_view=True)
            if sroot is None:
                raise FetchError(f"{url}: Connection refused")
            if root.jail and root.jail == rec.get("jail"):
                sroot = root
    docroot = services.http_docroot(sroot)
    rel = path if not path.endswith("/") else path + "index.html"
    real = sroot.real(docroot.rstrip("/") + rel)
    try:
        with open(real, "rb") as f:
            return f.read()
    except (FileNotFoundError, IsADirectoryError, NotADirectoryError):
        raise FetchError(f"{url}: Not Found")


def main(argv: list[str]) -> int:
    args = argv[1:]
    out = None
    quiet = False
    urls = []
    i = 0
    while i < len(args):
        a = args[i]
        if a.startswith("--"):
            i += 1
            continue
        if a.startswith("-") and len(a) > 1:
            j = 1
            while j < len(a):
                c = a[j]
                if c in "oBiNSTwhfc":
                    v = a[j + 1:] or (args[i + 1] if i + 1 < len(args) else None)
                    if v is None:
                        sys.stderr.write(f"fetch: option requires an argument -- {c}\n" + USAGE)
                        return 1
                    if not a[j + 1:]:
                        i += 1
                    if c == "o":
                        out = v
                    break
                if c == "q":
                    quiet = True
                elif c not in "146AaFlMmnPpRrsUvd":
                    sys.stderr.write(f"fetch: illegal option -- {c}\n" + USAGE)
                    return 1
                j += 1
        else:
            urls.append(a)
        i += 1
    if not urls:
        sys.stderr.write(USAGE)
        return 1
    root = pkgdb.current()
    rc = 0
    for url in urls:
        t0 = time.monotonic()
        try:
            m = DIST.match(url)
            if m:
                body = _dist(url, m, root)
            elif url.startswith("http://"):
                body = _http(url, root)
            elif url.startswith("https://"):
                host = re.match(r"https://([^/:]+)", url)
                raise FetchError(f"{url}: No address record" if host else f"{url}: Invalid URL")
            else:
                if "://" in url:
                    raise FetchError(f"{url}: Invalid URL")
                raise FetchError(f"{url}: No such file or directory")
        except FetchError as e:
            sys.stderr.write(f"fetch: {e}\n")
            rc = 1
            continue
        name = out or (url.rstrip("/").rsplit("/", 1)[-1] or "fetch.out")
        if url.endswith("/") and out is None:
            name = "index.html"
        if out == "-":
            sys.stdout.flush()
            if isinstance(body, str):
                with open(body, "rb") as f:
                    shutil.copyfileobj(f, sys.stdout.buffer)
            else:
                sys.stdout.buffer.write(body)
            sys.stdout.buffer.flush()
            continue
        dest = name
        if os.path.isdir(root.real(dest) if dest.startswith("/") else dest):
            dest = os.path.join(dest, url.rstrip("/").rsplit("/", 1)[-1])
        real = root.real(dest) if dest.startswith("/") else dest
        try:
            if isinstance(body, str):
                shutil.copyfile(body, real)
                size = os.path.getsize(real)
            else:
                with open(real, "wb") as f:
                    f.write(body)
                size = len(body)
        except OSError as e:
            sys.stderr.write(f"fetch: {dest}: {e.strerror}\n")
            rc = 1
            continue
        if not quiet:
            sys.stderr.write(_stat_line(dest, size, time.monotonic() - t0))
    return rc
