"""Pulumi property values on the wire <-> plain Python values.

The engine sends resource properties as ``google.protobuf.Struct`` values in which some objects
carry a signature key (secrets, assets, resource references, output values) and an unknown value
is a sentinel string.  The provider works on plain Python values:

* ``Secret(value)`` wraps a secret value (at any depth);
* ``UNKNOWN`` is the unknown sentinel (only during preview);
* numbers arrive as floats; integral floats are turned back into ``int`` by the resource layer,
  which knows the declared type of each property.

Only this module knows the wire format.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from google.protobuf import struct_pb2
from google.protobuf.json_format import MessageToDict, ParseDict

SIG = "4dabf18193072939515e22adb298388d"
SECRET_SIG = "1b47061264138c4ac30d75fd1eb44270"
OUTPUT_SIG = "d0e6a833031e9bbcd3f4e8bde6ca49a4"
RESOURCE_SIG = "5cf8f73096256a8f31e491e813e4eb8e"
UNKNOWN = "04da6b54-80e4-46f7-96ec-b56ff0331ba9"


@dataclass(frozen=True)
class Secret:
    """A secret value: it must never reach a log, an error message or a diff in clear."""

    value: Any

    def __repr__(self) -> str:  # never print the value
        return "Secret(***)"


def is_unknown(v: Any) -> bool:
    if isinstance(v, Secret):
        return is_unknown(v.value)
    return isinstance(v, str) and v == UNKNOWN


def contains_unknown(v: Any) -> bool:
    if is_unknown(v):
        return True
    if isinstance(v, Secret):
        return contains_unknown(v.value)
    if isinstance(v, dict):
        return any(contains_unknown(x) for x in v.values())
    if isinstance(v, list):
        return any(contains_unknown(x) for x in v)
    return False


def reveal(v: Any) -> Any:
    """Strip every Secret wrapper (deeply)."""
    if isinstance(v, Secret):
        return reveal(v.value)
    if isinstance(v, dict):
        return {k: reveal(x) for k, x in v.items()}
    if isinstance(v, list):
        return [reveal(x) for x in v]
    return v


def is_secret(v: Any) -> bool:
    if isinstance(v, Secret):
        return True
    if isinstance(v, dict):
        return any(is_secret(x) for x in v.values())
    if isinstance(v, list):
        return any(is_secret(x) for x in v)
    return False


def _from_json(v: Any) -> Any:
    if isinstance(v, dict):
        sig = v.get(SIG)
        if sig == SECRET_SIG:
            return Secret(_from_json(v.get("value")))
        if sig == OUTPUT_SIG:
            if "value" not in v:
                inner: Any = UNKNOWN
            else:
                inner = _from_json(v["value"])
            return Secret(inner) if v.get("secret") else inner
        if sig == RESOURCE_SIG:
            # We reply acceptResources=False, so references should not arrive; keep the id.
            return v.get("id") or v.get("urn")
        return {k: _from_json(x) for k, x in v.items()}
    if isinstance(v, list):
        return [_from_json(x) for x in v]
    return v


def _to_json(v: Any) -> Any:
    if isinstance(v, Secret):
        return {SIG: SECRET_SIG, "value": _to_json(v.value)}
    if isinstance(v, dict):
        return {str(k): _to_json(x) for k, x in v.items() if x is not None}
    if isinstance(v, (list, tuple)):
        return [_to_json(x) for x in v]
    if isinstance(v, bool) or v is None or isinstance(v, str):
        return v
    if isinstance(v, int):
        return float(v)
    return v


def decode(struct: struct_pb2.Struct | None) -> dict[str, Any]:
    if struct is None:
        return {}
    return _from_json(MessageToDict(struct))


def encode(values: dict[str, Any] | None) -> struct_pb2.Struct:
    s = struct_pb2.Struct()
    if values:
        ParseDict(_to_json(values), s)
    return s
