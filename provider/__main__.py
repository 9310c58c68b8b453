"""The plugin directory run as a program: ``python <plugin dir> [flags] <engine-address>``.

Pulumi's Python language host starts a plugin this way when the engine is given the directory
(``pulumi package add <dir>``): the directory is then ``sys.path[0]``, so the package next to
this file is the one that runs.
"""
from freebsd_provider.__main__ import run

run()
