"""jail(8) [SRC usr.sbin/jail/{jail.c,config.c,command.c}]: the model is freebsd_testbed.jails."""
from __future__ import annotations


def main(argv: list[str]) -> int:
    from .. import jails
    return jails.jail_main(argv)
