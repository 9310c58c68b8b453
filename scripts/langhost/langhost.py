"""A Python implementation of Pulumi's Python language host (``pulumi-language-python``).

Why this exists: the Go language host (module
github.com/pulumi/pulumi/sdk/python/cmd/pulumi-language-python/v3) is refused by
the Go module proxy, so it cannot be built here, while the CLI itself can
(scripts/build-pulumi).  The CLI only needs a process that speaks the
LanguageRuntime gRPC service, so this module provides one, built on the protos
that ship in the ``pulumi`` pip package.

What is implemented (behaviour follows the Go host unless noted):

* plugin protocol: argv is ``[flags] <engine-address>``; the first stdout line
  is the port; stdout/stderr of programs go to our own stdout/stderr, which the
  engine shows as program output.
* Handshake, GetPluginInfo, Cancel.
* GetRequiredPlugins / GetRequiredPackages: none (pulumi-freebsd's provider is
  a project plugin declared in Pulumi.yaml; SDK packages are not scanned).
* InstallDependencies: a no-op (the repo's .venv is managed by the repo).
* About, GetProgramDependencies, RuntimeOptionsPrompts (no prompts), Template
  (no-op).
* Run: ``<python> -u <pulumi-language-python-exec> --monitor .. --engine ..
  --project .. --root_directory .. --stack .. --pwd .. --dry_run true|false
  --parallel N [--tracing ..] --organization .. <entry point> [args]`` with
  PULUMI_CONFIG / PULUMI_CONFIG_SECRET_KEYS.  Exit code 32 from the exec script
  means "an error was already shown to the user" and maps to ``bail``; any
  other non-zero exit is an error.
* RunPlugin: ``python <plugin dir> args`` when the plugin has ``__main__.py``,
  else ``python -m pulumi.run.plugin <pyproject name> args`` (no policy packs).
* GeneratePackage: delegated to ``pulumi-freebsd-pygen`` (a small Go program
  built by scripts/build-pulumi around Pulumi's Python code generator).
* Not implemented (UNIMPLEMENTED): GenerateProgram, GenerateProject, Pack, Link,
  typecheckers, debugger attach, toolchains other than a plain venv/python.

Python interpreter selection: runtime option ``virtualenv`` (relative to the
project root) if set, else $PULUMI_PYTHON_CMD, else ``python3``.
"""

from __future__ import annotations

import json
import os
import queue
import shutil
import signal
import subprocess
import sys
import threading
import time
from concurrent import futures

import grpc
from google.protobuf import empty_pb2, json_format


def _import_protos():
    """The SDK's generated protos WITHOUT running ``pulumi/__init__`` (which imports the whole
    SDK, ~0.16 s): this host only needs the messages and stubs, and the CLI starts it twice per
    ``up`` before the program can run. Namespace stand-ins for ``pulumi`` and ``pulumi.runtime``
    point at the real directories, so ``pulumi.runtime.proto`` loads as usual."""
    import importlib.util
    import types
    if "pulumi" not in sys.modules:
        spec = importlib.util.find_spec("pulumi")
        if spec is not None and spec.origin:
            base = os.path.dirname(spec.origin)
            for name, path in (("pulumi", base), ("pulumi.runtime", os.path.join(base, "runtime"))):
                mod = types.ModuleType(name)
                mod.__path__ = [path]
                sys.modules[name] = mod
    from pulumi.runtime.proto import language_pb2, language_pb2_grpc, plugin_pb2
    return language_pb2, language_pb2_grpc, plugin_pb2


language_pb2, language_pb2_grpc, plugin_pb2 = _import_protos()

# Exit code used by pulumi-language-python-exec after it printed a user-actionable error.
EXIT_BAIL = 32
MAX_MSG = 400 * 1024 * 1024
DEFAULT_VERSION = "3.274.1"
HERE = os.path.dirname(os.path.realpath(__file__))


def _log(msg: str) -> None:
    if os.environ.get("PULUMI_FREEBSD_LANGHOST_DEBUG"):
        print(f"[langhost] {msg}", file=sys.stderr, flush=True)


def _options(info) -> dict:
    if info is None or not info.HasField("options"):
        return {}
    return json_format.MessageToDict(info.options)


class PythonEnv:
    """The interpreter to run programs with, and the environment to run it in."""

    def __init__(self, root: str, options: dict, is_plugin: bool = False):
        venv = options.get("virtualenv")
        if venv is not None and not isinstance(venv, str):
            raise ValueError("virtualenv option must be a string")
        if options.get("toolchain") not in (None, "pip"):
            raise ValueError(
                f"toolchain {options.get('toolchain')!r} is not supported by the pulumi-freebsd "
                "language host (use a plain virtualenv)"
            )
        if options.get("typechecker"):
            raise ValueError("the typechecker option is not supported by the pulumi-freebsd language host")
        if is_plugin and not venv:
            venv = "venv"
        self.venv = None
        if venv:
            path = venv if os.path.isabs(venv) else os.path.join(root or os.getcwd(), venv)
            self.venv = os.path.normpath(path)
            self.python = os.path.join(self.venv, "bin", "python")
        else:
            self.python = os.environ.get("PULUMI_PYTHON_CMD") or shutil.which("python3") or "python3"

    def validate(self) -> None:
        if self.venv is not None and not os.path.isfile(self.python):
            raise RuntimeError(
                f"The 'virtualenv' option in Pulumi.yaml is set to {self.venv!r}, but it does not "
                f"appear to be a virtual environment ({self.python} is missing)"
            )

    def env(self, extra: dict | None = None) -> dict:
        env = dict(os.environ)
        if self.venv is not None:
            env["VIRTUAL_ENV"] = self.venv
            env["PATH"] = os.path.join(self.venv, "bin") + os.pathsep + env.get("PATH", "")
            env.pop("PYTHONHOME", None)
        if extra:
            env.update(extra)
        return env

    def output(self, *args: str) -> str:
        return subprocess.run(
            [self.python, *args], env=self.env(), check=True, capture_output=True, text=True
        ).stdout


def _find_tool(name: str, env_var: str) -> str | None:
    """Look for a helper: $env_var, next to this file, next to `pulumi` on PATH."""
    cands = [os.environ.get(env_var)]
    cands.append(os.path.join(HERE, name))
    pulumi = shutil.which("pulumi")
    if pulumi:
        cands.append(os.path.join(os.path.dirname(os.path.realpath(pulumi)), name))
    for c in cands:
        if c and os.path.isfile(c):
            return c
    return None


class LanguageHost(language_pb2_grpc.LanguageRuntimeServicer):
    def __init__(self, engine_address: str | None, tracing: str | None, executor: str | None):
        self.engine_address = engine_address
        self.tracing = tracing
        self.executor = executor
        self._procs: set[subprocess.Popen] = set()
        self._lock = threading.Lock()
        self.cancelled = threading.Event()

    # -- process bookkeeping ------------------------------------------------
    def _track(self, proc: subprocess.Popen) -> None:
        with self._lock:
            self._procs.add(proc)

    def _untrack(self, proc: subprocess.Popen) -> None:
        with self._lock:
            self._procs.discard(proc)

    def stop_children(self) -> None:
        with self._lock:
            procs = list(self._procs)
        for p in procs:
            if p.poll() is None:
                try:
                    p.send_signal(signal.SIGINT)
                except OSError:
                    pass
        deadline = time.monotonic() + 5
        for p in procs:
            try:
                p.wait(timeout=max(0.1, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                p.kill()

    # -- simple RPCs --------------------------------------------------------
    def Handshake(self, request, context):
        self.engine_address = request.engine_address or self.engine_address
        return language_pb2.LanguageHandshakeResponse()

    def GetPluginInfo(self, request, context):
        version = os.environ.get("PULUMI_FREEBSD_LANGHOST_VERSION", DEFAULT_VERSION)
        return plugin_pb2.PluginInfo(version=version)

    def GetRequiredPlugins(self, request, context):
        return language_pb2.GetRequiredPluginsResponse()

    def GetRequiredPackages(self, request, context):
        return language_pb2.GetRequiredPackagesResponse()

    def InstallDependencies(self, request, context):
        yield language_pb2.InstallDependenciesResponse(
            stdout=b"pulumi-freebsd language host: dependency installation is a no-op "
            b"(the project's virtualenv is managed outside Pulumi)\n"
        )

    def RuntimeOptionsPrompts(self, request, context):
        return language_pb2.RuntimeOptionsResponse()

    def Template(self, request, context):
        return language_pb2.TemplateResponse()

    def Cancel(self, request, context):
        self.cancelled.set()
        threading.Thread(target=self.stop_children, daemon=True).start()
        return empty_pb2.Empty()

    def About(self, request, context):
        info = request.info if request.HasField("info") else None
        py = PythonEnv(info.root_directory if info else "", _options(info))
        if py.python == sys.executable or \
                (py.venv is not None and os.path.realpath(py.venv) == os.path.realpath(sys.prefix)):
            # the program's interpreter is the one running this host: answer without a subprocess
            # (the CLI asks on every `up`, before the program can start)
            import importlib.metadata as md
            import platform
            try:
                pip = md.version("pip")
            except md.PackageNotFoundError:
                pip = "0.0.0"
            return language_pb2.AboutResponse(
                executable=py.python, version=platform.python_version(),
                metadata={"toolchain": "pip", "toolchainVersion": pip, "typechecker": "none"})
        try:
            exe, ver, pip = (
                py.output(
                    "-c",
                    "import sys, platform, importlib.metadata as m\n"
                    "print(sys.executable); print(platform.python_version())\n"
                    "try: print(m.version('pip'))\nexcept Exception: print('0.0.0')",
                ).split()
                + ["0.0.0"]
            )[:3]
        except (OSError, subprocess.CalledProcessError, ValueError) as e:
            context.abort(grpc.StatusCode.UNKNOWN, f"failed to run {py.python}: {e}")
        return language_pb2.AboutResponse(
            executable=exe,
            version=ver,
            metadata={"toolchain": "pip", "toolchainVersion": pip, "typechecker": "none"},
        )

    def GetProgramDependencies(self, request, context):
        info = request.info
        py = PythonEnv(info.root_directory, _options(info))
        script = (
            "import importlib.metadata as m, json\n"
            "print(json.dumps(sorted({(d.metadata['Name'], d.version) for d in m.distributions()"
            " if d.metadata['Name']})))"
        )
        try:
            deps = json.loads(py.output("-c", script))
        except (OSError, subprocess.CalledProcessError, ValueError) as e:
            context.abort(grpc.StatusCode.UNKNOWN, f"failed to get python dependencies: {e}")
        return language_pb2.GetProgramDependenciesResponse(
            dependencies=[language_pb2.DependencyInfo(name=n, version=v) for n, v in deps]
        )

    # -- Run ----------------------------------------------------------------
    def _exec_script(self) -> str:
        if self.executor:
            return self.executor
        found = _find_tool("pulumi-language-python-exec", "PULUMI_FREEBSD_PYTHON_EXEC")
        if not found:
            raise RuntimeError(
                "missing pulumi-language-python-exec: run scripts/build-pulumi, or set "
                "PULUMI_FREEBSD_PYTHON_EXEC"
            )
        return found

    def Run(self, request, context):
        if not self.engine_address:
            context.abort(grpc.StatusCode.FAILED_PRECONDITION, "must call Handshake before Run")
        info = request.info
        try:
            py = PythonEnv(info.root_directory, _options(info))
            py.validate()
            exec_script = self._exec_script()
        except (ValueError, RuntimeError) as e:
            return language_pb2.RunResponse(error=str(e))
        if request.attach_debugger:
            return language_pb2.RunResponse(
                error="attaching a debugger is not supported by the pulumi-freebsd language host"
            )

        args = [py.python, "-u", exec_script]

        def opt(name: str, value: str) -> None:
            if value:
                args.extend(["--" + name, value])

        opt("monitor", request.monitor_address)
        opt("engine", self.engine_address)
        opt("project", request.project)
        opt("root_directory", info.root_directory)
        opt("stack", request.stack)
        opt("pwd", request.pwd)
        opt("dry_run", "true" if request.dryRun else "false")
        opt("parallel", str(request.parallel))
        opt("tracing", self.tracing or "")
        opt("organization", request.organization)
        args.append(info.entry_point or ".")
        args.extend(request.args)

        extra = {"PULUMI_CONFIG_SECRET_KEYS": json.dumps(list(request.configSecretKeys))}
        if request.config:
            extra["PULUMI_CONFIG"] = json.dumps(dict(request.config))
        _log(f"run: {args}")
        try:
            proc = subprocess.Popen(args, env=py.env(extra), stdin=subprocess.DEVNULL)
        except OSError as e:
            return language_pb2.RunResponse(
                error=f"problem executing program (could not run language executor): {e}"
            )
        self._track(proc)
        try:
            code = self._wait(proc, context)
        finally:
            self._untrack(proc)
        sys.stdout.flush()
        sys.stderr.flush()
        if code == 0:
            return language_pb2.RunResponse()
        if code == EXIT_BAIL:
            return language_pb2.RunResponse(bail=True)
        if code < 0:
            return language_pb2.RunResponse(
                error=f"program exited unexpectedly: signal: {signal.Signals(-code).name}"
            )
        return language_pb2.RunResponse(error=f"program exited with non-zero exit code: {code}")

    def _wait(self, proc: subprocess.Popen, context) -> int:
        """Wait for proc; interrupt it if the RPC is cancelled (engine gone / Ctrl-C)."""
        while True:
            try:
                return proc.wait(timeout=0.5)
            except subprocess.TimeoutExpired:
                if not context.is_active() or self.cancelled.is_set():
                    try:
                        proc.send_signal(signal.SIGINT)
                        return proc.wait(timeout=5)
                    except subprocess.TimeoutExpired:
                        proc.kill()
                        return proc.wait()

    # -- RunPlugin ----------------------------------------------------------
    def RunPlugin(self, request, context):
        info = request.info
        if request.kind == "analyzer":
            context.abort(grpc.StatusCode.UNIMPLEMENTED, "policy packs are not supported by this language host")
        py = PythonEnv(info.root_directory, _options(info), is_plugin=True)
        py.validate()
        root = info.root_directory or info.program_directory
        if os.path.isfile(os.path.join(root, "__main__.py")):
            args = [py.python, info.program_directory, *request.args]
        else:
            name = _pyproject_name(os.path.join(root, "pyproject.toml"))
            if not name:
                context.abort(
                    grpc.StatusCode.FAILED_PRECONDITION,
                    "plugin is not runnable, it provides neither __main__.py nor a buildable pyproject.toml",
                )
            args = [py.python, "-m", "pulumi.run.plugin", name, *request.args]
        env = py.env()
        for kv in request.env:
            k, _, v = kv.partition("=")
            env[k] = v
        _log(f"run plugin: {args}")
        proc = subprocess.Popen(
            args,
            env=env,
            cwd=request.pwd or None,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
        )
        self._track(proc)
        out: queue.Queue = queue.Queue()

        def pump(stream, field):
            for chunk in iter(lambda: stream.read1(65536), b""):
                out.put(language_pb2.RunPluginResponse(**{field: chunk}))
            out.put(None)

        threads = [
            threading.Thread(target=pump, args=(proc.stdout, "stdout"), daemon=True),
            threading.Thread(target=pump, args=(proc.stderr, "stderr"), daemon=True),
        ]
        for t in threads:
            t.start()
        try:
            open_streams = 2
            while open_streams:
                try:
                    item = out.get(timeout=0.5)
                except queue.Empty:
                    if not context.is_active():
                        proc.kill()
                    continue
                if item is None:
                    open_streams -= 1
                else:
                    yield item
            code = proc.wait()
        finally:
            if proc.poll() is None:
                proc.kill()
            self._untrack(proc)
        yield language_pb2.RunPluginResponse(exitcode=code if code >= 0 else 128 - code)

    # -- GeneratePackage ----------------------------------------------------
    def GeneratePackage(self, request, context):
        tool = _find_tool("pulumi-freebsd-pygen", "PULUMI_FREEBSD_PYGEN")
        if not tool:
            context.abort(
                grpc.StatusCode.UNIMPLEMENTED,
                "pulumi-freebsd-pygen not found (run scripts/build-pulumi); cannot generate a Python SDK",
            )
        payload = json_format.MessageToJson(request)
        proc = subprocess.run([tool], input=payload.encode(), capture_output=True)
        if proc.returncode != 0:
            context.abort(grpc.StatusCode.UNKNOWN, proc.stderr.decode(errors="replace").strip())
        resp = language_pb2.GeneratePackageResponse()
        json_format.Parse(proc.stdout.decode(), resp, ignore_unknown_fields=True)
        return resp


def _pyproject_name(path: str) -> str | None:
    try:
        import tomllib
    except ImportError:  # pragma: no cover - python < 3.11
        return None
    try:
        with open(path, "rb") as f:
            return tomllib.load(f).get("project", {}).get("name")
    except OSError:
        return None


def _parse_argv(argv: list[str]):
    """Go-flag style: -flag, --flag, -flag=value, --flag value; then positionals."""
    tracing = executor = None
    positional: list[str] = []
    takes_value = {"tracing", "use-executor"}
    i = 0
    while i < len(argv):
        a = argv[i]
        if a == "--":
            positional.extend(argv[i + 1 :])
            break
        if a.startswith("-") and len(a) > 1 and not positional:
            name, eq, value = a.lstrip("-").partition("=")
            if name in takes_value and not eq:
                i += 1
                value = argv[i] if i < len(argv) else ""
            if name == "tracing":
                tracing = value
            elif name == "use-executor":
                executor = value
            elif name == "version":
                print(os.environ.get("PULUMI_FREEBSD_LANGHOST_VERSION", DEFAULT_VERSION))
                sys.exit(0)
            # other flags (-v=N, --logtostderr, --logflow ...) are accepted and ignored
        else:
            positional.append(a)
        i += 1
    return (positional[0] if positional else None), tracing, executor


def _watch_parent(server) -> None:
    """Exit when the engine (our parent) goes away, like the Go host's health check."""
    parent = os.getppid()
    while True:
        time.sleep(1)
        if os.getppid() != parent:
            server.stop(0)
            return


def main(argv: list[str] | None = None) -> None:
    engine, tracing, executor = _parse_argv(sys.argv[1:] if argv is None else argv)
    host = LanguageHost(engine, tracing, executor)
    server = grpc.server(
        futures.ThreadPoolExecutor(max_workers=16),
        options=[
            ("grpc.max_send_message_length", MAX_MSG),
            ("grpc.max_receive_message_length", MAX_MSG),
        ],
    )
    language_pb2_grpc.add_LanguageRuntimeServicer_to_server(host, server)

    def on_term(signum, frame):
        host.cancelled.set()
        threading.Thread(target=lambda: (host.stop_children(), server.stop(0)), daemon=True).start()

    def on_interrupt(signum, frame):
        # Ctrl-C reaches the whole process group, so a running program got it too: stop
        # taking new requests, give in-flight ones (Run) a moment to finish, then stop.
        def stop():
            server.stop(grace=10).wait()
            host.stop_children()

        threading.Thread(target=stop, daemon=True).start()

    signal.signal(signal.SIGTERM, on_term)
    signal.signal(signal.SIGINT, on_interrupt)
    port = server.add_insecure_port("127.0.0.1:0")
    server.start()
    print(port, flush=True)
    if engine:
        threading.Thread(target=_watch_parent, args=(server,), daemon=True).start()
    server.wait_for_termination()


if __name__ == "__main__":
    main()
