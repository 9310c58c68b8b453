"""pulumi-freebsd: a Pulumi resource provider that manages FreeBSD 15 hosts over SSH."""

PACKAGE = "freebsd"
VERSION = "0.2.0"
