"""BaseSystem: a FreeBSD base system (base.txz, ...) fetched from a mirror and extracted into a directory."""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from .. import wire
from ..host import fetch
from ..hostctx import Host
from ..ssh import CommandError
from .base import Failure, Resource, field


@dataclass
class BaseSystemArgs:
    path: str = field(
        "Directory to extract into, usually a ZfsDataset's mountpoint, e.g. "
        "`/jails/templates/base`. It must exist and be at least two levels deep; system "
        "directories of the host are refused. Changing it replaces the resource.", replace=True)
    release: str = field("FreeBSD release to install, e.g. `15.0-RELEASE`. Changing it "
                         "replaces the resource.", replace=True)
    arch: str = field("Architecture (`amd64`, `arm64`, `i386`, `armv7`, `powerpc64`, "
                      "`powerpc64le`, `riscv64`). Changing it replaces the resource.",
                      default="amd64", replace=True)
    mirror: str = field(
        "Mirror URL (https or http) holding `ARCH/RELEASE/SET`, e.g. the default "
        "`https://download.freebsd.org/releases`. Changing it is recorded without re-installing.",
        default=fetch.DEFAULT_MIRROR)
    dist_sets: list[str] = field(
        "Distribution sets to extract, in order, e.g. `[\"base.txz\", \"lib32.txz\"]`. "
        "Changing them replaces the resource.", default_factory=lambda: ["base.txz"], replace=True)
    copy_resolv_conf: bool = field(
        "Copy the host's /etc/resolv.conf into PATH/etc/ so the jails resolve names. Refresh "
        "reports drift when the copy differs from the host's file.", default=True)
    copy_localtime: bool = field(
        "Copy the host's /etc/localtime into PATH/etc/ (same time zone as the host). Refresh "
        "reports drift when the copy differs from the host's file.", default=True)


@dataclass
class BaseSystemState:
    installed_release: str = field(
        "The release found in the tree (`USERLAND_VERSION` of PATH/bin/freebsd-version, else "
        "the provider's marker file PATH/var/db/pulumi-freebsd-base).", default="")


class BaseSystem(Resource):
    token = "freebsd:index:BaseSystem"
    description = (
        "A FreeBSD base system installed into a directory, as in the tutorial's template: for "
        "each set `fetch -o /tmp/pulumi-freebsd-base.XXXXXXXX/SET MIRROR/ARCH/RELEASE/SET` and "
        "`tar -xf ... -C PATH`, then the temporary files are removed and the host's "
        "resolv.conf and localtime are copied in. A marker file PATH/var/db/pulumi-freebsd-base "
        "records release, arch and sets.\n\n"
        "Refresh reports the resource gone when PATH/bin/sh is missing, and drift when the "
        "installed release differs or the copied files no longer match the host's. Delete "
        "removes everything below PATH (clearing the schg flags first), never crossing into "
        "other mounted file systems and never removing PATH itself (a dataset's mountpoint "
        "stays, empty). It refuses paths that are system directories or less than two levels "
        "deep, and trees without the marker (not installed by this provider). Import ID: PATH."
    )
    Args = BaseSystemArgs
    State = BaseSystemState
    import_id = "the directory, e.g. `/jails/templates/base`"
    example = {"path": "/jails/templates/base", "release": "15.0-RELEASE", "arch": "amd64", "mirror": "https://download.freebsd.org/releases", "distSets": ["base.txz"]}

    def validate(self, inputs: dict[str, Any]) -> list[Failure]:
        f: list[Failure] = []

        def known(v: Any) -> bool:
            return isinstance(v, str) and not wire.is_unknown(v)
        for key, check in (("path", fetch.install_path_error), ("release", fetch.release_error),
                           ("arch", fetch.arch_error), ("mirror", fetch.mirror_error)):
            v = inputs.get(key)
            if known(v):
                err = check(v)
                if err:
                    f.append(Failure(key, err))
        sets = inputs.get("distSets")
        if isinstance(sets, list):
            if not sets:
                f.append(Failure("distSets", "distSets must name at least one set, e.g. base.txz"))
            seen = set()
            for i, s in enumerate(sets):
                if not known(s):
                    continue
                err = fetch.dist_set_error(s)
                if err:
                    f.append(Failure(f"distSets[{i}]", err))
                elif s in seen:
                    f.append(Failure(f"distSets[{i}]", f"{s} is listed twice"))
                seen.add(s)
        return f

    async def _inspect(self, host: Host, path: str) -> dict:
        res = await host.run(fetch.inspect(path), mutates=False)
        return fetch.parse_inspect(res.stdout)

    @staticmethod
    def _copies(inputs: dict[str, Any]) -> list[list[str]]:
        etc = inputs["path"].rstrip("/") + "/etc"
        argvs = []
        if inputs.get("copyResolvConf", True):
            argvs.append(fetch.copy_into("/etc/resolv.conf", etc))
        if inputs.get("copyLocaltime", True):
            argvs.append(fetch.copy_into("/etc/localtime", etc))
        return argvs

    async def create(self, ctx, inputs):
        host: Host = ctx.host
        path = inputs["path"].rstrip("/")
        # ONE exec: guard (changes nothing; refuses a missing directory or an existing tree),
        # temp dir, fetch + extract each set, remove the temp dir, marker, copies, inspect.
        tmp = fetch.temp_dir_name()
        argvs = [fetch.create_guard(path), fetch.make_temp_dir_at(tmp)]
        for s in inputs["distSets"]:
            url = fetch.dist_url(inputs["mirror"], inputs["arch"], inputs["release"], s)
            await host.log(f"fetching {url}", "info")
            argvs += [fetch.fetch_to(url, f"{tmp}/{s}"), fetch.extract(f"{tmp}/{s}", path)]
        cleanup = len(argvs)
        argvs.append(fetch.remove_temp_dir(tmp))
        argvs.append(fetch.set_marker(path, fetch.marker_text(
            inputs["release"], inputs["arch"], inputs["distSets"], inputs["mirror"])))
        argvs += self._copies(inputs)
        argvs.append(fetch.inspect(path))
        try:
            # an hour for each fetch and each extract, as when they ran one by one
            steps = await host.batch(argvs, check=False,
                                     timeout=3600.0 * 2 * len(inputs["distSets"]) + 600)
        except Exception:
            # the connection died or the command timed out: the temp dir goes anyway
            try:
                await host.run(fetch.remove_temp_dir(tmp), check=False)
            except Exception:  # noqa: BLE001  (report the original failure)
                pass
            raise
        bad = len(steps) - 1 if steps[-1].exit_code != 0 else None
        if bad == cleanup:
            # removing the temp dir is best effort: a leftover temp dir must not fail the update
            steps = steps + await host.batch(argvs[cleanup + 1:], check=False)
            bad = len(steps) - 1 if steps[-1].exit_code != 0 else None
        if bad is not None:
            res = steps[bad]
            if bad == 0:
                if res.exit_code == fetch.GUARD_NO_DIR:
                    raise RuntimeError(f"{path} does not exist: create it first (e.g. a ZfsDataset with "
                                       f"mountpoint {path}) and make this resource depend on it")
                if res.exit_code == fetch.GUARD_INSTALLED:
                    raise RuntimeError(
                        f"{path} already holds a base system; adopt it with `pulumi import "
                        f"freebsd:index:BaseSystem <resource-name> {path}` or choose an empty directory")
            elif 1 < bad < cleanup:
                # a fetch or an extract failed: the temp dir (ours: mkdir made it) goes anyway
                await host.run(fetch.remove_temp_dir(tmp), check=False)
            raise CommandError(res)
        info = fetch.parse_inspect(steps[-1].stdout)
        out = dict(inputs)
        out["path"] = path
        out["installedRelease"] = info["release"] or inputs["release"]
        return path, out

    async def read(self, ctx, resource_id, inputs, state):
        path = resource_id
        err = fetch.install_path_error(path)
        if err:
            raise ValueError(f"invalid BaseSystem id: {err}")
        # a shared read: a refresh's reads of all resources go out together (Host.facts)
        info = fetch.parse_inspect((await ctx.host.fact(fetch.inspect(path))).stdout)
        if not info["sh"]:
            return None
        m = info["marker"]
        release = info["release"] or m.get("release", "")
        if inputs is None:  # import
            new_inputs = {
                "path": path, "release": release,
                "arch": m.get("arch") if m.get("arch") in fetch.ARCH_DIRS else "amd64",
                "mirror": m.get("mirror") or fetch.DEFAULT_MIRROR,
                "distSets": m.get("sets", "base.txz").split() or ["base.txz"],
                "copyResolvConf": info["resolv_same"], "copyLocaltime": info["localtime_same"],
            }
        else:
            new_inputs = dict(inputs)
            new_inputs["path"] = path
            new_inputs["release"] = release
            if m.get("arch") in fetch.ARCH_DIRS:
                new_inputs["arch"] = m["arch"]
            if m.get("sets"):
                new_inputs["distSets"] = m["sets"].split()
            # a copy that no longer matches the host's file is drift (the next up copies again)
            if inputs.get("copyResolvConf", True):
                new_inputs["copyResolvConf"] = info["resolv_same"]
            if inputs.get("copyLocaltime", True):
                new_inputs["copyLocaltime"] = info["localtime_same"]
        out = dict(new_inputs)
        out["installedRelease"] = release
        return new_inputs, out

    async def update(self, ctx, resource_id, olds, news, state):
        host: Host = ctx.host
        # ONE exec: the copies, the marker (only where there is one) when the mirror changed,
        # then the inspect the outputs come from.
        argvs = self._copies(news)
        if olds.get("mirror") != news.get("mirror"):
            argvs.append(fetch.update_marker(resource_id, fetch.marker_text(
                news["release"], news["arch"], news["distSets"], news["mirror"])))
        argvs.append(fetch.inspect(resource_id))
        steps = await host.batch(argvs)
        info = fetch.parse_inspect(steps[-1].stdout)
        out = dict(news)
        out["installedRelease"] = info["release"] or news["release"]
        return out

    async def delete(self, ctx, resource_id, inputs, state):
        host: Host = ctx.host
        path = resource_id
        # ONE exec: the guard (exits non-zero, changing nothing, unless the tree has our marker)
        # and the wipe.
        steps = await host.batch([fetch.delete_guard(path), fetch.wipe(path)], check=False, timeout=1800)
        res = steps[-1]
        if res.exit_code == 0:
            return
        if len(steps) == 1 and res.exit_code == fetch.GUARD_NOTHING:
            await host.log(f"{path} holds no base system any more", "info")
            return
        if len(steps) == 1 and res.exit_code == fetch.GUARD_FOREIGN:
            raise RuntimeError(
                f"refusing to empty {path}: it has no {fetch.MARKER} marker, so this provider did "
                f"not install it; remove it by hand if that is what you want")
        raise CommandError(res)
