"""A simulated FreeBSD 15 host for pulumi-freebsd's tests.

The host is a private root filesystem (overlays of this machine's /usr, /etc, ... in a mount
namespace) reached through a real OpenSSH sshd.  The FreeBSD tools (zfs, sysrc, kldload, ...)
are small Python programs, one module per tool under ``freebsd_testbed.tools``, all working on
one host-state model (``freebsd_testbed.hoststate``) and on the host's real files.
"""
