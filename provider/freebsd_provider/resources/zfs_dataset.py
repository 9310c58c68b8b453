"""ZfsDataset: a ZFS filesystem (optionally a clone of a snapshot) and its local properties."""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Optional

from .. import wire
from ..host import zfs
from ..hostctx import Host
from ..ssh import CommandError, SSHError
from .base import DiffResult, Failure, PartialFailure, Resource, diff_fields, diff_map, field


@dataclass
class ZfsDatasetArgs:
    name: str = field("Full dataset name, e.g. `zroot/jails/templates`. The parent must exist "
                      "(declare it as another ZfsDataset). Changing it replaces the dataset.",
                      replace=True)
    properties: dict[str, str] = field(
        "ZFS properties set locally on the dataset (`zfs create -o` / `zfs set`), e.g. "
        "`{\"mountpoint\": \"/jails\", \"compression\": \"lz4\"}`; user properties "
        "(`module:name`) are allowed. Removing a key runs `zfs inherit`. Properties that ZFS only "
        "accepts at creation (casesensitivity, normalization, utf8only, encryption, ...) replace "
        "the dataset when changed.", default_factory=dict)
    origin: Optional[str] = field(
        "Snapshot to clone the dataset from (`zfs clone`), e.g. "
        "`zroot/jails/templates/base@15.0-RELEASE`. Changing it replaces the dataset.",
        default=None, replace=True)
    recursive: bool = field(
        "Allow delete to take descendant datasets and snapshots along (`zfs destroy -r`). Off "
        "by default: deleting a dataset that still has children or snapshots then fails with "
        "zfs's own message instead of destroying them.", default=False)


@dataclass
class ZfsDatasetState:
    mountpoint: str = field("Effective mountpoint (`-`/`none`/`legacy` when not mounted by path).", default="")
    used: int = field("Bytes used by the dataset and its descendants (`used`).", default=0)
    referenced: int = field("Bytes referenced by the dataset (`referenced`).", default=0)
    guid: str = field("The dataset's GUID.", default="")
    creation: int = field("Creation time, seconds since the epoch.", default=0)
    # `origin` is both an input and an output (the live origin of a clone, "" otherwise).


class ZfsDataset(Resource):
    token = "freebsd:index:ZfsDataset"
    description = (
        "A ZFS filesystem on the host: `zfs create` (or `zfs clone` when `origin` is set) with "
        "local properties. Import ID: the dataset name, e.g. `zroot/jails`.\n\n"
        "Refresh reads the live properties, so hand-made `zfs set`/`zfs inherit` changes show "
        "up as drift and the next `up` puts them back. Delete never destroys children or "
        "snapshots unless `recursive` is true."
    )
    Args = ZfsDatasetArgs
    State = ZfsDatasetState
    import_id = "the dataset name, e.g. `zroot/jails/containers/webserver`"
    example = {"name": "zroot/jails/containers/webserver", "properties": {"com.example:role": "web"},
               "origin": "zroot/jails/templates/base@15.0-RELEASE"}

    FACT = zfs.get_all()

    # -- check ----------------------------------------------------------------------------
    def validate(self, inputs: dict[str, Any]) -> list[Failure]:
        f: list[Failure] = []
        name = inputs.get("name")
        if isinstance(name, str) and not wire.is_unknown(name):
            err = zfs.dataset_name_error(name)
            if err:
                f.append(Failure("name", f"invalid dataset name {name!r}: {err}"))
            elif "/" not in name:
                f.append(Failure("name", f"{name!r} is a pool: manage datasets inside a pool, "
                                         f"e.g. '{name}/data'"))
        origin = inputs.get("origin")
        if isinstance(origin, str) and not wire.is_unknown(origin):
            err = zfs.dataset_name_error(origin, allow_snapshot="required")
            if err:
                f.append(Failure("origin", f"invalid snapshot name {origin!r}: {err}"))
        props = inputs.get("properties")
        if isinstance(props, dict):
            for k, v in props.items():
                err = zfs.property_name_error(k)
                if err:
                    f.append(Failure(f"properties.{k}", err))
                    continue
                if wire.is_unknown(v):
                    continue
                err = zfs.property_value_error(k, v)
                if err:
                    f.append(Failure(f"properties.{k}", err))
        return f

    # -- diff -----------------------------------------------------------------------------
    def diff(self, olds: dict[str, Any], news: dict[str, Any]) -> DiffResult:
        res = diff_fields(self.input_fields(), olds, news, skip=("properties",))
        for path, d in diff_map("properties", olds.get("properties"), news.get("properties"),
                                replace_keys=zfs.CREATE_ONLY).items():
            if d.replace:
                d.why = "this property can only be set when the dataset is created"
            res.changes[path] = d
        return res

    # -- host access ----------------------------------------------------------------------
    async def _lookup(self, host: Host, name: str) -> Optional[zfs.Dataset]:
        res = await host.fact(self.FACT)
        return zfs.parse_get(res.stdout).get(name)

    def _outputs(self, inputs: dict[str, Any], ds: zfs.Dataset) -> dict[str, Any]:
        out = dict(inputs)

        def num(p: str) -> int:
            v = ds.value(p, "0")
            return int(v) if v.isdigit() else 0
        origin = ds.value("origin")
        out.update({
            "mountpoint": ds.value("mountpoint"),
            "used": num("used"),
            "referenced": num("referenced"),
            "guid": ds.value("guid"),
            "creation": num("creation"),
            "origin": None if origin in ("-", "") else origin,
        })
        return out

    # -- create ---------------------------------------------------------------------------
    async def create(self, ctx, inputs: dict[str, Any]) -> tuple[str, dict[str, Any]]:
        # One exec: create (or clone), then read the new dataset back. No existence pre-read:
        # zfs itself refuses an existing name ("dataset already exists").
        host: Host = ctx.host
        name = inputs["name"]
        try:
            steps = await host.batch([self._make_argv(inputs), zfs.get_all(names=[name])], check=False)
        except SSHError as e:
            # the connection died while zfs ran: it may or may not exist now; record it so that
            # the next run reads the host and converges (update creates it when missing)
            raise PartialFailure(f"connection lost while creating dataset {name}: {e}", name, dict(inputs)) from None
        made = steps[0]
        if made.exit_code != 0:
            if zfs.is_existing_dataset_error(made.stderr):
                raise RuntimeError(
                    f"dataset {name} already exists on the host; adopt it with "
                    f"`pulumi import freebsd:index:ZfsDataset <resource-name> {name}` instead of creating it")
            raise CommandError(made)
        ds = self._read_back(steps, name)
        if ds is None:
            # it was made, but we could not read it back: record it, the next run converges
            err = steps[1].stderr.strip() if len(steps) > 1 else "no output"
            raise PartialFailure(f"dataset {name} was created, but reading it back failed: {err}",
                                 name, dict(inputs))
        return name, self._outputs(inputs, ds)

    @staticmethod
    def _make_argv(inputs: dict[str, Any]) -> list[str]:
        props = inputs.get("properties") or {}
        if inputs.get("origin"):
            return zfs.clone(inputs["origin"], inputs["name"], props)
        return zfs.create(inputs["name"], props)

    @staticmethod
    def _read_back(steps, name: str) -> Optional[zfs.Dataset]:
        """The dataset from the batch's final ``zfs get ... NAME`` step (None if it did not run/fail)."""
        last = steps[-1] if steps else None
        if last is None or last.argv[:2] != [zfs.ZFS, "get"] or last.exit_code != 0:
            return None
        return zfs.parse_get(last.stdout).get(name)

    async def _make(self, host: Host, inputs: dict[str, Any]) -> zfs.Dataset:
        name = inputs["name"]
        try:
            steps = await host.batch([self._make_argv(inputs), zfs.get_all(names=[name])])
        except SSHError as e:
            raise PartialFailure(f"connection lost while creating dataset {name}: {e}", name, dict(inputs)) from None
        ds = self._read_back(steps, name)
        if ds is None:
            raise RuntimeError(f"dataset {name} could not be created")
        return ds

    # -- read -----------------------------------------------------------------------------
    async def read(self, ctx, resource_id: str, inputs, state):
        ds = await self._lookup(ctx.host, resource_id)
        if ds is None:
            return None
        live = ds.local_properties()
        declared = dict((inputs or {}).get("properties") or {})
        props: dict[str, str] = {}
        for k, v in live.items():
            # keep the user's spelling when it means the live value (e.g. quota=10G vs 10737418240)
            if k in declared and zfs.values_equal(k, declared[k], v):
                props[k] = declared[k]
            else:
                props[k] = v
        new_inputs: dict[str, Any] = {"name": resource_id, "properties": props}
        origin = ds.value("origin")
        if origin not in ("-", ""):
            new_inputs["origin"] = origin
        if inputs is not None and "recursive" in inputs:
            new_inputs["recursive"] = inputs["recursive"]
        else:
            new_inputs["recursive"] = False
        return new_inputs, self._outputs(new_inputs, ds)

    # -- update ---------------------------------------------------------------------------
    async def update(self, ctx, resource_id, olds, news, state):
        # One exec: zfs set / zfs inherit, then the read-back.
        host: Host = ctx.host
        old_p = olds.get("properties") or {}
        new_p = news.get("properties") or {}
        changed = {k: v for k, v in new_p.items() if old_p.get(k) != v}
        argvs = [zfs.set_props(resource_id, changed)] if changed else []
        argvs += [zfs.inherit(resource_id, k) for k in sorted(set(old_p) - set(new_p))]
        steps = await host.batch([*argvs, zfs.get_all(names=[resource_id])], check=False)
        failed = next((s for s in steps if s.exit_code != 0), None)
        if failed is not None and zfs.is_missing_dataset_error(failed.stderr):
            # a previous run failed half-way (or it was destroyed by hand since the last refresh)
            return self._outputs(news, await self._make(host, news))
        if failed is not None:
            raise CommandError(failed)
        ds = self._read_back(steps, resource_id)
        if ds is None:
            raise RuntimeError(f"dataset {resource_id} disappeared during the update")
        return self._outputs(news, ds)

    # -- delete ---------------------------------------------------------------------------
    async def delete(self, ctx, resource_id, inputs, state):
        host: Host = ctx.host
        res = await host.run(zfs.destroy(resource_id, recursive=bool(inputs.get("recursive"))), check=False)
        if res.exit_code != 0:
            if zfs.is_missing_dataset_error(res.stderr):
                await host.log(f"dataset {resource_id} is already gone", "info")
                return
            raise CommandError(res)
