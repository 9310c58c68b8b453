"""One module per simulated FreeBSD tool.

Each module exposes ``main(argv: list[str]) -> int``: ``argv[0]`` is the program name as
invoked, output goes to ``sys.stdout``/``sys.stderr``, the return value is the exit code.
``freebsd_testbed.tools.dispatch`` maps program names (zfs, sysrc, ...) to modules; the host's
/sbin/zfs etc. are tiny launchers that call it.
"""
