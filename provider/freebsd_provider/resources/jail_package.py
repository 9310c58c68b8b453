"""JailPackage: binary packages installed with pkg(8) inside a running jail."""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Optional

from .. import wire
from ..host import common, pkg
from ..hostctx import Host
from ..ssh import CommandError
from .base import ADD, DELETE, DiffResult, Failure, PropDiff, Resource, diff_fields, field


@dataclass
class JailPackageArgs:
    jail: str = field("Name of the running jail to install into (`jexec JAIL pkg ...`). Changing "
                      "it replaces the resource.", replace=True)
    packages: list[str] = field(
        "Packages to install, by name (`nginx`, `postgresql17-server`) or pinned to a version in "
        "pkg's `name-version` form (`nginx-1.28.2,3`; a pin without the port revision/epoch such "
        "as `nginx-1.28.2` matches `1.28.2_1` and `1.28.2,3`). Adding a package installs it and "
        "removing one deletes it, in place; packages it pulled in as dependencies are deleted with "
        "it when nothing else needs them.")


@dataclass
class JailPackageState:
    installed: dict[str, str] = field(
        "Installed version of every declared package, by name (from `pkg query`).",
        default_factory=dict)
    bootstrapped_pkg: bool = field(
        "True when this resource bootstrapped pkg in the jail (`pkg bootstrap`).", default=False)
    added_dependencies: list[str] = field(
        "Packages that installing the declared ones pulled in as automatic dependencies (they "
        "were not installed before); delete removes those that nothing else needs any more.",
        default_factory=list)


def parse_id(rid: str) -> tuple[str, list[str]]:
    jail, sep, rest = rid.partition(":")
    if not sep or not jail:
        raise ValueError(f"invalid JailPackage id {rid!r}: expected JAIL:PKG[,PKG...], e.g. "
                         f"webserver:nginx,postgresql17-client")
    names = [p for p in rest.split(",") if p]
    return jail, names


def make_id(jail: str, specs: list[str]) -> str:
    return f"{jail}:" + ",".join(pkg.split_spec(s)[0] for s in specs)


class JailPackage(Resource):
    token = "freebsd:index:JailPackage"
    description = (
        "Binary packages installed with pkg(8) inside a running jail, the way the tutorial does "
        "it: `jexec JAIL env ASSUME_ALWAYS_YES=yes pkg bootstrap` when the jail has no pkg yet, "
        "then `jexec JAIL pkg install -y NAME...` (pkg runs of one jail are serialized by a "
        "lockf(1) lock). The jail needs working DNS and a route to the package mirror.\n\n"
        "Refresh reads ONE `pkg query -a` per jail and run, shared by every JailPackage of that "
        "jail: a package deleted by hand (`pkg delete -y vim`) or another version shows up as "
        "drift, and the next `up` installs it again.\n\n"
        "Delete runs `pkg delete -y` for the declared packages only, never for a package that "
        "another installed package still depends on (pkg would delete the dependants too); "
        "dependencies this resource pulled in are deleted when nothing needs them any more. pkg "
        "itself stays once bootstrapped (it goes with the jail's dataset)."
    )
    Args = JailPackageArgs
    State = JailPackageState
    example = {"jail": "webserver", "packages": ["nginx", "postgresql17-client-17.9"]}
    import_id = ("`JAIL:PKG[,PKG...]`, e.g. `webserver:nginx,postgresql17-client` (the packages "
                 "must be installed; versions are not pinned on import)")

    # -- check ----------------------------------------------------------------------------
    def validate(self, inputs: dict[str, Any]) -> list[Failure]:
        f: list[Failure] = []
        jail = inputs.get("jail")
        if isinstance(jail, str) and not wire.is_unknown(jail):
            err = common.jail_name_error(jail)
            if err:
                f.append(Failure("jail", err))
        specs = inputs.get("packages")
        if isinstance(specs, list):
            if not specs:
                f.append(Failure("packages", "declare at least one package"))
            seen: dict[str, int] = {}
            for i, s in enumerate(specs):
                if wire.is_unknown(s):
                    continue
                err = pkg.spec_error(s)
                if err:
                    f.append(Failure(f"packages[{i}]", err))
                    continue
                name = pkg.split_spec(s)[0]
                if name in seen:
                    f.append(Failure(f"packages[{i}]", f"package {name!r} is declared twice "
                                                       f"(also packages[{seen[name]}])"))
                seen[name] = i
        return f

    # -- diff -----------------------------------------------------------------------------
    def diff(self, olds: dict[str, Any], news: dict[str, Any]) -> DiffResult:
        res = diff_fields(self.input_fields(), olds, news, skip=("packages",))
        o, n = olds.get("packages") or [], news.get("packages")
        if wire.contains_unknown(n):
            res.changes["packages"] = PropDiff("update", False, "unknown until apply")
            return res
        n = n or []
        if sorted(o) != sorted(n):
            on = {pkg.split_spec(s)[0]: s for s in o}
            nn = {pkg.split_spec(s)[0]: s for s in n}
            kind = ADD if not o else DELETE if not n else "update"
            whys = []
            if set(nn) - set(on):
                whys.append("installs " + ", ".join(sorted(set(nn) - set(on))))
            if set(on) - set(nn):
                whys.append("deletes " + ", ".join(sorted(set(on) - set(nn))))
            repinned = sorted(k for k in set(on) & set(nn) if on[k] != nn[k])
            if repinned:
                whys.append("re-pins " + ", ".join(repinned))
            res.changes["packages"] = PropDiff(kind, False, "; ".join(whys) + " (in place)")
        return res

    # -- host access ----------------------------------------------------------------------
    async def _state(self, host: Host, jail: str) -> Optional[pkg.PkgState]:
        """The jail's pkg state (shared fact), or None when the jail is not running."""
        res = await host.fact(pkg.state(jail), check=False)
        if res.exit_code != 0:
            if pkg.is_jail_missing(res.stderr):
                return None
            raise CommandError(res)
        return pkg.parse_state(res.stdout)

    async def _require_state(self, host: Host, jail: str) -> pkg.PkgState:
        st = await self._state(host, jail)
        if st is None:
            raise RuntimeError(f"jail {jail} is not running: start it (VnetJail) before installing packages into it")
        return st

    def _outputs(self, inputs: dict[str, Any], st: pkg.PkgState, bootstrapped: bool,
                 added: list[str]) -> dict[str, Any]:
        out = dict(inputs)
        installed = {}
        for s in inputs.get("packages") or []:
            name = pkg.split_spec(s)[0]
            if name in st.packages:
                installed[name] = st.packages[name].version
        out["installed"] = installed
        out["bootstrappedPkg"] = bootstrapped
        out["addedDependencies"] = sorted(added)
        return out

    async def _install(self, host: Host, jail: str, specs: list[str], st: pkg.PkgState) -> tuple[pkg.PkgState, list[str]]:
        """Install what is missing (or pinned differently); returns (new state, new deps)."""
        todo = []
        for s in specs:
            name, pin = pkg.split_spec(s)
            have = st.packages.get(name)
            if have is None or not pkg.version_matches(pin, have.version):
                todo.append(s)
        if not todo:
            return st, []
        before = set(st.packages)
        await host.run(pkg.install(jail, todo))
        after = await self._require_state(host, jail)
        declared = {pkg.split_spec(s)[0] for s in specs}
        for s in todo:
            name, pin = pkg.split_spec(s)
            have = after.packages.get(name)
            if have is None:
                raise RuntimeError(f"pkg reported success but {name} is not installed in jail {jail}")
            if not pkg.version_matches(pin, have.version):
                raise RuntimeError(f"{name} {pin} was requested but jail {jail} has {name} "
                                   f"{have.version} (the repository offers another version)")
        new_deps = sorted(n for n in set(after.packages) - before
                          if n not in declared and after.packages[n].automatic)
        return after, new_deps

    async def _delete(self, host: Host, jail: str, names: list[str], deps: list[str]) -> list[str]:
        """Delete ``names`` (never one that other packages need) then the orphaned ``deps``.
        Returns the deps that stay (still needed)."""
        st = await self._state(host, jail)
        if st is None or not st.bootstrapped:
            return []
        names = [n for n in names if n in st.packages]
        deps = [d for d in deps if d in st.packages and st.packages[d].automatic and d not in names]
        if not names and not deps:
            return []
        rd = await host.run(pkg.reverse_deps(jail), mutates=False)
        rdeps = pkg.parse_reverse_deps(rd.stdout)
        go, kept = pkg.removable(names + deps, rdeps)
        for n, users in kept.items():
            if n in names:
                await host.log(f"jail {jail}: keeping package {n}: still needed by "
                               f"{', '.join(users)}", "warning")
        if go:
            await host.run(pkg.delete(jail, go))
        return sorted(d for d in deps if d in kept)

    # -- create ---------------------------------------------------------------------------
    async def create(self, ctx, inputs):
        host: Host = ctx.host
        jail, specs = inputs["jail"], list(inputs["packages"])
        st = await self._require_state(host, jail)
        bootstrapped = False
        if not st.bootstrapped:
            await host.run(pkg.bootstrap(jail))
            bootstrapped = True
            st = await self._require_state(host, jail)
            if not st.bootstrapped:
                raise RuntimeError(f"pkg bootstrap in jail {jail} reported success but "
                                   f"{pkg.PKG} is missing")
        st, deps = await self._install(host, jail, specs, st)
        return make_id(jail, specs), self._outputs(inputs, st, bootstrapped, deps)

    # -- read -----------------------------------------------------------------------------
    async def read(self, ctx, rid, inputs, state):
        jail, id_names = parse_id(rid)
        st = await self._state(ctx.host, jail)
        if st is None or not st.bootstrapped:
            return None
        state = state or {}
        if inputs is None:
            specs = [n for n in id_names if n in st.packages]
            if not specs:
                return None
            missing = sorted(set(id_names) - set(specs))
            if missing:
                raise RuntimeError(f"cannot import {rid}: not installed in jail {jail}: {', '.join(missing)}")
        else:
            specs = []
            for s in inputs.get("packages") or []:
                name, pin = pkg.split_spec(s)
                have = st.packages.get(name)
                if have is None:
                    continue  # deleted by hand: drift
                specs.append(s if pkg.version_matches(pin, have.version) else f"{name}-{have.version}")
            if not specs and (inputs.get("packages") or []):
                return None  # every declared package is gone
        new_inputs = {"jail": jail, "packages": specs}
        deps = [d for d in state.get("addedDependencies") or [] if d in st.packages]
        return new_inputs, self._outputs(new_inputs, st, bool(state.get("bootstrappedPkg")), deps)

    # -- update ---------------------------------------------------------------------------
    async def update(self, ctx, rid, olds, news, state):
        host: Host = ctx.host
        jail = news["jail"]
        old_names = {pkg.split_spec(s)[0] for s in olds.get("packages") or []}
        new_names = {pkg.split_spec(s)[0] for s in news.get("packages") or []}
        st = await self._require_state(host, jail)
        deps = list(state.get("addedDependencies") or [])
        st, more = await self._install(host, jail, list(news["packages"]), st)
        deps = sorted(set(deps) | set(more))
        gone = sorted(old_names - new_names)
        if gone:
            # a dependency this resource added that is now declared is no longer "added"
            keep = await self._delete(host, jail, gone, [d for d in deps if d not in new_names])
            deps = keep
            st = await self._require_state(host, jail)
        deps = [d for d in deps if d in st.packages and d not in new_names]
        out = self._outputs(news, st, bool(state.get("bootstrappedPkg")), deps)
        return out

    # -- delete ---------------------------------------------------------------------------
    async def delete(self, ctx, rid, inputs, state):
        jail, id_names = parse_id(rid)
        names = [pkg.split_spec(s)[0] for s in (inputs.get("packages") or [])] or id_names
        try:
            await self._delete(ctx.host, jail, names, list(state.get("addedDependencies") or []))
        except CommandError as e:
            if pkg.is_jail_missing(e.result.stderr):
                await ctx.host.log(f"jail {jail} is not running: nothing to delete", "info")
                return
            raise
