"""A plain running jail with a base system on the testbed, for the in-jail resource tests."""
from __future__ import annotations

BASE_URL = "https://download.freebsd.org/releases/amd64/15.0-RELEASE/base.txz"


def make_jail(testbed, name: str) -> str:
    path = f"/jails/{name}"
    testbed.exec("sh", "-c", 'set -e; [ -f /tmp/base.txz ] || fetch -qo /tmp/base.txz "$1"; '
                             'mkdir -p "$2"; tar -xf /tmp/base.txz -C "$2"; cp /etc/resolv.conf "$2/etc/"',
                 "sh", BASE_URL, path)
    testbed.exec("jail", "-c", f"name={name}", f"path={path}", f"host.hostname={name}", "persist")
    return path


def drop_jail(testbed, name: str) -> None:
    testbed.exec("jail", "-r", name, check=False)
    testbed.exec("rm", "-rf", f"/jails/{name}", check=False)


def client_for(testbed):
    from freebsd_provider import wire
    from harness import ProviderClient
    c = ProviderClient()
    cfg = testbed.provider_config()
    c.configure(**{**cfg, "privateKey": wire.Secret(cfg["privateKey"])})
    return c
