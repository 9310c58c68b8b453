"""JailPackage: binary packages installed with pkg(8) inside a running jail."""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Optional

from .. import wire
from ..host import common, pkg
from ..hostctx import Host
from ..ssh import CommandError, Result
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
        "Refresh reads the jail's installed packages (`pkg query -a`, shared by every JailPackage "
        "of that jail): a package deleted by hand (`pkg delete -y vim`) or another version shows up as "
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
    # Every write is ONE batch (one remote exec) that ends with the state read the outputs need;
    # the state read before it is the shared fact.  Create: 1 exec when there is nothing to do,
    # else 2 (bootstrap included); delete: 2; update: 1-3.
    @staticmethod
    def _parse_state(res: Result) -> Optional[pkg.PkgState]:
        """A ``pkg.state`` result: the state, or None when the jail is not running."""
        if res.exit_code != 0:
            if pkg.is_jail_missing(res.stderr):
                return None
            raise CommandError(res)
        return pkg.parse_state(res.stdout)

    @classmethod
    def _require_parsed(cls, res: Result, jail: str) -> pkg.PkgState:
        st = cls._parse_state(res)
        if st is None:
            raise RuntimeError(f"jail {jail} is not running: start it (VnetJail) before installing packages into it")
        return st

    @staticmethod
    async def _fact(host: Host, jail: str) -> Result:
        """The ``pkg.state`` shared fact (a failed read is not kept)."""
        try:
            return await host.fact(pkg.state(jail))
        except CommandError as e:
            return e.result

    async def _state(self, host: Host, jail: str) -> Optional[pkg.PkgState]:
        """The jail's pkg state (shared fact), or None when the jail is not running."""
        return self._parse_state(await self._fact(host, jail))

    async def _require_state(self, host: Host, jail: str) -> pkg.PkgState:
        return self._require_parsed(await self._fact(host, jail), jail)

    @staticmethod
    async def _batch(host: Host, jail: str, steps: list[list[str]], *, mutates: bool = True,
                     keep_going: bool = False) -> list[Result]:
        """``host.batch`` of steps that end with a ``pkg.state`` read (then only reads): when the
        whole batch ran, that read becomes the shared fact, unless another write on the host
        finished meanwhile (``Host.fact`` keeps a read only then too)."""
        res = await host.batch(steps, check=False, mutates=mutates, keep_going=keep_going,
                               timeout=host.steps_timeout(len(steps)),
                               prime=[pkg.state(jail)] if len(steps) else [])
        return res

    async def _read_with_rdeps(self, host: Host, jail: str) -> tuple[Optional[pkg.PkgState], Result]:
        """State and reverse dependencies in one exec (read-only)."""
        st, rd = await self._batch(host, jail, [pkg.state(jail), pkg.reverse_deps(jail)],
                                   mutates=False, keep_going=True)
        return self._parse_state(st), rd

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

    async def _install(self, host: Host, jail: str, specs: list[str], st: pkg.PkgState, *,
                       bootstrap: bool = False, rdeps: bool = False
                       ) -> tuple[pkg.PkgState, list[str], Optional[Result]]:
        """Bootstrap pkg (when ``bootstrap``) and install what is missing (or pinned differently),
        in one exec that ends with the state read (and ``pkg.reverse_deps`` when ``rdeps``).

        Returns (new state, new deps, reverse-deps result or None).  With ``bootstrap`` the
        install is planned on an empty jail; ``pkg.only_pkg`` stops the batch when the jail
        turns out to hold packages already, and the install is then planned again on what the
        bootstrap left and sent as a second exec.
        """
        todo = pkg.to_install(specs, st)
        if not bootstrap and not todo:
            return st, [], None
        steps: list[list[str]] = []
        if bootstrap:
            steps += [pkg.bootstrap(jail), pkg.state(jail), pkg.only_pkg(jail)]
        if todo:
            steps.append(pkg.install(jail, todo))
        steps.append(pkg.state(jail))
        if rdeps:
            steps.append(pkg.reverse_deps(jail))
        res = await self._batch(host, jail, steps)
        if bootstrap:
            if res[0].exit_code != 0:
                raise CommandError(res[0])
            st = self._require_parsed(res[1], jail)
            if not st.bootstrapped:
                raise RuntimeError(f"pkg bootstrap in jail {jail} reported success but "
                                   f"{pkg.PKG} is missing")
            if res[2].exit_code != 0:
                # the jail already had packages: plan the install on what is really there
                after, deps, rd = await self._install(host, jail, specs, st, rdeps=rdeps)
                return after, deps, rd
            res = res[3:]
        before = set(st.packages)
        if todo:
            if res[0].exit_code != 0:
                raise CommandError(res[0])
            res = res[1:]
        after = self._require_parsed(res[0], jail)
        rd = res[1] if rdeps else None
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
        return after, new_deps, rd

    async def _delete(self, host: Host, jail: str, names: list[str], deps: list[str],
                      st: Optional[pkg.PkgState], rd: Result, *, read_after: bool = False
                      ) -> tuple[list[str], Optional[pkg.PkgState]]:
        """Delete ``names`` (never one that other packages need) then the orphaned ``deps``,
        given the jail's state ``st`` and reverse dependencies ``rd`` read just before.
        Returns (the deps that stay (still needed), the state after when ``read_after`` and
        something was deleted, else None)."""
        if st is None or not st.bootstrapped:
            return [], None
        names = [n for n in names if n in st.packages]
        deps = [d for d in deps if d in st.packages and st.packages[d].automatic and d not in names]
        if not names and not deps:
            return [], None
        if rd.exit_code != 0:
            raise CommandError(rd)
        rdeps = pkg.parse_reverse_deps(rd.stdout)
        go, kept = pkg.removable(names + deps, rdeps)
        for n, users in kept.items():
            if n in names:
                await host.log(f"jail {jail}: keeping package {n}: still needed by "
                               f"{', '.join(users)}", "warning")
        after = None
        if go:
            if read_after:
                res = await self._batch(host, jail, [pkg.delete(jail, go), pkg.state(jail)])
                if res[0].exit_code != 0:
                    raise CommandError(res[0])
                after = self._require_parsed(res[1], jail)
            else:
                await host.run(pkg.delete(jail, go))
        return sorted(d for d in deps if d in kept), after

    # -- create ---------------------------------------------------------------------------
    async def create(self, ctx, inputs):
        host: Host = ctx.host
        jail, specs = inputs["jail"], list(inputs["packages"])
        st = await self._require_state(host, jail)
        bootstrapped = not st.bootstrapped
        st, deps, _ = await self._install(host, jail, specs, st, bootstrap=bootstrapped)
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
        gone = sorted(old_names - new_names)
        if gone:
            # what to delete is known before any read: fetch the reverse dependencies with the state
            st0, rd = await self._read_with_rdeps(host, jail)
            if st0 is None:
                raise RuntimeError(f"jail {jail} is not running: start it (VnetJail) before installing packages into it")
        else:
            st0, rd = await self._require_state(host, jail), None
        deps = list(state.get("addedDependencies") or [])
        st, more, rd2 = await self._install(host, jail, list(news["packages"]), st0, rdeps=bool(gone))
        if rd2 is not None:
            rd = rd2  # read after the install
        deps = sorted(set(deps) | set(more))
        if gone:
            # a dependency this resource added that is now declared is no longer "added"
            keep, after = await self._delete(host, jail, gone, [d for d in deps if d not in new_names],
                                             st, rd, read_after=True)
            deps = keep
            st = after or st
        deps = [d for d in deps if d in st.packages and d not in new_names]
        out = self._outputs(news, st, bool(state.get("bootstrappedPkg")), deps)
        return out

    # -- delete ---------------------------------------------------------------------------
    async def delete(self, ctx, rid, inputs, state):
        jail, id_names = parse_id(rid)
        names = [pkg.split_spec(s)[0] for s in (inputs.get("packages") or [])] or id_names
        try:
            st, rd = await self._read_with_rdeps(ctx.host, jail)
            await self._delete(ctx.host, jail, names, list(state.get("addedDependencies") or []), st, rd)
        except CommandError as e:
            if pkg.is_jail_missing(e.result.stderr):
                await ctx.host.log(f"jail {jail} is not running: nothing to delete", "info")
                return
            raise
