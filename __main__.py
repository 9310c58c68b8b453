"""This checkout run as the provider plugin: ``python <clone> [flags] <engine-address>``.

Pulumi's Python language host starts a plugin this way after ``pulumi package add <clone>``
(PulumiPlugin.yaml). The provider package lives in provider/.
"""
import os
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "provider"))

from freebsd_provider.__main__ import run  # noqa: E402

run()
