"""Generate the Pulumi package schema from the resource and config types (never hand-edited).

``python -m freebsd_provider.schema > schema.json`` (``make schema``).
"""
from __future__ import annotations

import dataclasses
import json
import os
from typing import Any, get_args, get_origin

from . import PACKAGE, VERSION
from .config import CONFIG_FIELDS
from .resources import RESOURCES
from .resources.base import FieldInfo, _strip_optional, fields_of


def _type_spec(tp, types: dict[str, Any]) -> dict[str, Any]:
    tp = _strip_optional(tp)
    origin = get_origin(tp)
    if tp is str:
        return {"type": "string"}
    if tp is bool:
        return {"type": "boolean"}
    if tp is int:
        return {"type": "integer"}
    if tp is float:
        return {"type": "number"}
    if origin is list:
        (et,) = get_args(tp)
        return {"type": "array", "items": _type_spec(et, types)}
    if origin is dict:
        _, vt = get_args(tp)
        return {"type": "object", "additionalProperties": _type_spec(vt, types)}
    if dataclasses.is_dataclass(tp):
        token = f"{PACKAGE}:index:{tp.__name__}"
        if token not in types:
            types[token] = {}  # placeholder against recursion
            props, required = _props(fields_of(tp), types)
            types[token] = {"type": "object", "description": (tp.__doc__ or "").strip(),
                            "properties": props, **({"required": required} if required else {})}
        return {"$ref": f"#/types/{token}"}
    raise TypeError(f"unsupported property type {tp!r}")


def _props(fields: list[FieldInfo], types: dict[str, Any]) -> tuple[dict[str, Any], list[str]]:
    props: dict[str, Any] = {}
    required: list[str] = []
    for f in fields:
        spec = _type_spec(f.type, types)
        spec["description"] = f.description
        if f.secret:
            spec["secret"] = True
        if f.replace:
            spec["replaceOnChanges"] = True
        if f.default is not None and isinstance(f.default, (str, int, float, bool)):
            spec["default"] = f.default
        props[f.wire] = spec
        if f.required:
            required.append(f.wire)
    return props, required


# Where the CLI downloads the plugin when a program uses an SDK and the plugin is not installed:
# GitHub releases of pulumi-freebsd/pulumi-freebsd (asset
# pulumi-resource-freebsd-v<version>-<os>-<arch>.tar.gz of release v<version>). A mirror is set at
# generation time: `make schema sdk PLUGIN_DOWNLOAD_URL=https://mirror.example/freebsd/v${VERSION}`
# (README, "Release layout").
DEFAULT_PLUGIN_DOWNLOAD_URL = "github://api.github.com/pulumi-freebsd"


def plugin_download_url() -> str:
    return os.environ.get("PULUMI_FREEBSD_PLUGIN_DOWNLOAD_URL") or DEFAULT_PLUGIN_DOWNLOAD_URL


def generate() -> dict[str, Any]:
    types: dict[str, Any] = {}
    resources: dict[str, Any] = {}
    for r in RESOURCES:
        in_props, in_req = _props(r.input_fields(), types)
        out_fields = {f.wire: f for f in r.input_fields()}
        for f in r.output_fields():
            out_fields[f.wire] = f
        out_props, _ = _props(list(out_fields.values()), types)
        # Exactly what every create and every read (import too) returns with a value: the SDKs
        # type these as always defined.
        out_req = [f.wire for f in out_fields.values() if f.always_present]
        resources[r.token] = {
            "description": (r.description + f"\n\n## Import\n\n`pulumi import {r.token} NAME ID` where ID is "
                            f"{r.import_id}.\n\n## After a crash\n\n{r.crash_note}"),
            "inputProperties": in_props,
            "requiredInputs": in_req,
            "properties": out_props,
            "required": sorted(set(out_req)),
        }
    cfg_props, _ = _props(CONFIG_FIELDS, types)
    cfg_req = [f.wire for f in CONFIG_FIELDS if f.required]
    return {
        "name": PACKAGE,
        "displayName": "FreeBSD",
        "version": VERSION,
        "description": "Manage FreeBSD 15 hosts over SSH: ZFS datasets, bridges, VNET jails, packages, PF.",
        "keywords": ["pulumi", "freebsd", "zfs", "jails", "pf", "category/infrastructure"],
        "license": "Apache-2.0",
        "publisher": "pulumi-freebsd",
        "pluginDownloadURL": plugin_download_url(),
        "config": {"variables": cfg_props, "defaults": cfg_req},
        "provider": {
            "description": "The FreeBSD host this provider manages, and how to reach it over SSH.",
            "inputProperties": cfg_props,
            "requiredInputs": cfg_req,
        },
        "types": dict(sorted(types.items())),
        "resources": dict(sorted(resources.items())),
        "language": {
            "python": {"packageName": "pulumi_freebsd", "respectSchemaVersion": True,
                       "pyproject": {"enabled": True}},
            "nodejs": {"packageName": "@pulumi-freebsd/freebsd", "respectSchemaVersion": True},
            "go": {"importBasePath": "github.com/pulumi-freebsd/pulumi-freebsd/sdk/go/freebsd",
                   "respectSchemaVersion": True},
        },
    }


def render() -> str:
    return json.dumps(generate(), indent=2, sort_keys=False) + "\n"


if __name__ == "__main__":
    import sys
    sys.stdout.write(render())
