"""Load the SDK's generated protos without the whole SDK (the plugin's start-up path).

``import pulumi.runtime.proto`` runs ``pulumi/__init__``, which imports the entire Python SDK
(~0.2 s) although the provider only needs the messages and gRPC stubs. ``light()`` — called by
the plugin's entry point, in its own fresh process, before anything imports ``pulumi`` — puts
namespace stand-ins for ``pulumi`` and ``pulumi.runtime`` in ``sys.modules`` that point at the
real directories, so ``pulumi.runtime.proto`` then loads as usual. Never called in a process
that also uses the SDK (tests import the provider with the real package).
"""
from __future__ import annotations

import importlib.util
import os
import sys
import types


def light() -> None:
    if "pulumi" in sys.modules:
        return
    spec = importlib.util.find_spec("pulumi")
    if spec is None or not spec.origin:
        return
    base = os.path.dirname(spec.origin)
    for name, path in (("pulumi", base), ("pulumi.runtime", os.path.join(base, "runtime"))):
        mod = types.ModuleType(name)
        mod.__path__ = [path]
        sys.modules[name] = mod
