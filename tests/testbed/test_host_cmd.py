"""host(1): the tutorial's lookup, NXDOMAIN, and no reachable nameserver."""
import os


def test_tutorial_lookup(tool, host_root):
    rc, out, _ = tool("host", "google.com")
    assert rc == 0 and out == ("google.com has address 142.251.47.174\n"
                               "google.com has IPv6 address 2a00:1450:401a:800::200e\n"
                               "google.com mail is handled by 10 smtp.google.com.\n")
    rc, out, _ = tool("host", "-t", "A", "google.com")
    assert out == "google.com has address 142.251.47.174\n"


def test_nxdomain_and_reverse(tool, host_root):
    rc, out, _ = tool("host", "nosuch.example")
    assert rc == 1 and out == "Host nosuch.example not found: 3(NXDOMAIN)\n"
    rc, out, _ = tool("host", "8.8.8.8")
    assert rc == 0 and out == "8.8.8.8.in-addr.arpa domain name pointer dns.google.\n"


def test_no_nameserver(tool, host_root):
    os.unlink(os.path.join(host_root, "etc", "resolv.conf"))
    rc, out, _ = tool("host", "google.com")
    assert rc == 1 and out == ";; connection timed out; no servers could be reached\n"
