"""The provider as a FreeBSD admin uses it on his workstation, from the release artifacts only.

A temp dir holds copies of what `make dist` wrote (the plugin archives, the Python wheel, the npm
tarball); the stock CLI binary runs there with its own PULUMI_HOME and file backend and an
environment without any path into this repo (consumer.base_env). Against a testbed host of this
module's own:

1. `pulumi plugin install --file <archive>` (the plugin gets its own venv), a Python project on
   the wheel: preview, up, no-change preview, destroy; the provider ran from the plugin's venv,
   `pulumi about` lists `resource freebsd <version>` and no `freebsd-provider`.
2. `pulumi package add <unpacked archive>` (local SDK, `packages:` in Pulumi.yaml, the plugin
   dir's venv), `pulumi install`, the same lifecycle; `package add` of a clone's provider/ and of
   the clone itself record a local path that `pulumi install` resolves, and preview works.
3. A TypeScript project on the npm tarball with the plugin of 1: the same lifecycle.
4. `pulumi plugin install --server http://127.0.0.1:<port>/` from a directory holding the archive
   under its release name (the layout README documents for a download server).
"""
from __future__ import annotations

import functools
import http.server
import json
import os
import pathlib
import re
import shutil
import subprocess
import tarfile
import tempfile
import threading

import pytest
import yaml

from consumer import (REPO, ProviderWatch, Workstation, about_plugins, cli_bin, configure_stack, files_naming,
                      launches, python_program, python_project, ts_program, version)
from tbhelper import Testbed

pytestmark = pytest.mark.e2e

PULUMI_PY = "pulumi==3.272.0"  # the version the repo pins (provider/requirements.txt)
STACK = "dev"


# --- module fixtures: one testbed, one workstation, one installed plugin ---------------------------

@pytest.fixture(scope="module")
def ver() -> str:
    return version()


@pytest.fixture(scope="module")
def work(ver):
    """The workstation's temp dir, with copies of the dist/ artifacts in work/dist."""
    names = [f"pulumi-resource-freebsd-v{ver}-{p}.tar.gz" for p in ("linux-amd64", "darwin-arm64", "darwin-amd64")]
    names += [f"pulumi_freebsd-{ver}-py3-none-any.whl", f"pulumi-freebsd-freebsd-{ver}.tgz"]
    missing = [n for n in names if not (REPO / "dist" / n).is_file()]
    assert not missing, f"run `make dist` first; missing in dist/: {missing}"
    root = pathlib.Path(tempfile.mkdtemp(prefix="consumer-", dir=os.environ.get("TMPDIR", "/tmp")))
    (root / "dist").mkdir()
    for n in names:
        shutil.copy2(REPO / "dist" / n, root / "dist" / n)
    yield root
    shutil.rmtree(root, ignore_errors=True)


@pytest.fixture(scope="module")
def ws(work) -> Workstation:
    return Workstation(work, cli_bin())


@pytest.fixture(scope="module")
def host():
    state = tempfile.mkdtemp(prefix="tb-consumer-", dir=os.environ.get("TMPDIR", "/tmp"))
    tb = Testbed("consumer", os.path.join(state, "consumer"))
    tb.up()
    yield tb
    tb.down()
    shutil.rmtree(state, ignore_errors=True)


@pytest.fixture(scope="module")
def plugin(ws, ver) -> pathlib.Path:
    """`pulumi plugin install resource freebsd <ver> --file <copied archive>`: the plugin dir."""
    archive = ws.root / "dist" / f"pulumi-resource-freebsd-v{ver}-linux-amd64.tar.gz"
    ws.run("plugin", "install", "resource", "freebsd", ver, "--file", str(archive), timeout=900)
    return ws.plugin_dir("freebsd", ver)


@pytest.fixture(scope="module")
def clone(work) -> pathlib.Path:
    """A clone of this repo (what is committed), so that `package add` writes its venvs there and
    never into the real checkout."""
    dest = work / "clone"
    subprocess.run(["git", "clone", "-q", str(REPO), str(dest)], check=True, timeout=300, capture_output=True)
    return dest


# --- helpers -------------------------------------------------------------------------------------

def rc_conf(host) -> str:
    return host.exec("cat", "/etc/rc.conf").stdout


def assert_absent(host, dataset: str, variable: str) -> None:
    r = host.exec("zfs", "list", "-H", "-o", "name", dataset, check=False)
    assert r.returncode != 0 and "dataset does not exist" in r.stderr, (r.stdout, r.stderr)
    r = host.exec("sysrc", "-n", variable, check=False)
    assert r.returncode != 0, r.stdout


def assert_about(ws: Workstation, project: pathlib.Path, ver: str) -> None:
    r = ws.run("about", cwd=project, timeout=300)
    rows = about_plugins(r.stdout)
    assert ("resource", "freebsd", ver) in rows, r.stdout
    assert not [row for row in rows if row[1] == "freebsd-provider"], r.stdout
    assert "freebsd-provider" not in r.stdout, r.stdout


def assert_no_repo_path(*texts: str) -> None:
    for t in texts:
        assert str(REPO) not in t, [line for line in t.splitlines() if str(REPO) in line][:5]


def lifecycle(ws: Workstation, project: pathlib.Path, host, dataset: str, variable: str,
              launcher: pathlib.Path, python: pathlib.Path) -> None:
    """preview, up, no-change preview, the objects on the host, destroy, gone again; the engine
    started `launcher` and the provider process ran on `python` with nothing of the repo."""
    before = rc_conf(host)
    assert_absent(host, dataset, variable)

    r = ws.run("preview", "--non-interactive", "--stack", STACK, cwd=project)
    assert "+ 3 to create" in r.stdout, r.stdout

    with ProviderWatch(ws.home) as watch:
        r = ws.run("up", "--yes", "--non-interactive", "--stack", STACK, "-v=9", "--logtostderr", cwd=project)
    assert "+ 3 created" in r.stdout, r.stdout
    started = launches(r.stderr)
    assert started and set(started) == {str(launcher)}, started
    assert_no_repo_path(r.stdout, r.stderr)
    assert watch.found, "no provider process seen during `pulumi up`"
    for proc in watch.found.values():
        argv, environ = proc["argv"], proc["environ"]
        assert argv[0] == str(python) and argv[1:3] == ["-m", "freebsd_provider"], argv
        assert environ.get("PYTHONPATH", "").split(":")[0] == str(launcher.parent), environ.get("PYTHONPATH")
        assert not [k for k in environ if k.startswith(("PULUMI_FREEBSD_", "VIRTUAL_ENV"))], sorted(environ)
        assert_no_repo_path(" ".join(argv), "\n".join(f"{k}={v}" for k, v in environ.items()))

    out = json.loads(ws.run("stack", "output", "--json", "--stack", STACK, cwd=project).stdout)
    assert out == {"dataset": dataset, "mountpoint": f"/{dataset}", "rcValue": "YES"}, out

    r = ws.run("preview", "--expect-no-changes", "--non-interactive", "--stack", STACK, cwd=project, check=False)
    assert r.returncode == 0, r.stdout + r.stderr
    assert "3 unchanged" in r.stdout, r.stdout

    got = host.exec("zfs", "get", "-H", "-o", "value", "compression,com.example:owner", dataset).stdout.split()
    assert got == ["lz4", "consumer"], got
    assert host.exec("sysrc", "-n", variable).stdout.strip() == "YES"
    assert f'{variable}="YES"' in rc_conf(host)

    r = ws.run("destroy", "--yes", "--non-interactive", "--stack", STACK, cwd=project)
    assert "- 3 deleted" in r.stdout, r.stdout
    assert_absent(host, dataset, variable)
    assert rc_conf(host) == before


def package_add(ws: Workstation, project: pathlib.Path, source: pathlib.Path) -> str:
    """`pulumi package add <source>`: the SDK's module name, after checking what it recorded."""
    r = ws.run("package", "add", str(source), cwd=project, timeout=900)
    assert_no_repo_path(r.stdout, r.stderr)
    m = re.search(r"import (\w+) as", r.stdout + r.stderr)
    assert m, r.stdout + r.stderr
    assert_recorded(project, source)
    reqs = (project / "requirements.txt").read_text().split()
    assert "sdks/freebsd" in reqs, reqs
    assert (project / "sdks" / "freebsd").is_dir()
    return m.group(1)


def assert_recorded(project: pathlib.Path, source: pathlib.Path) -> None:
    """Pulumi.yaml's packages: freebsd is the local path (absolute, existing, outside the repo),
    so a later `pulumi install` needs no plugin download."""
    doc = yaml.safe_load((project / "Pulumi.yaml").read_text())
    recorded = doc.get("packages", {}).get("freebsd")
    assert recorded == str(source), doc
    assert os.path.isabs(recorded) and os.path.isdir(recorded)
    assert_no_repo_path(recorded)


# --- 1. plugin install --file + a Python project on the wheel ------------------------------------

def test_plugin_install_from_the_release_archive(ws, plugin, ver):
    r = ws.run("plugin", "ls")
    assert re.search(rf"^freebsd\s+resource\s+{re.escape(ver)}\s", r.stdout, re.M), r.stdout
    py = plugin / "venv" / "bin" / "python"
    assert (plugin / "pulumi-resource-freebsd").is_file() and py.is_file(), sorted(os.listdir(plugin))
    # The plugin's own runtime: the pinned provider dependencies in the plugin's venv.
    r = ws.tool([str(py), "-c", "import grpc, paramiko, pulumi, sys; print(sys.prefix); print(pulumi.__file__)"],
                cwd=plugin, timeout=120)
    prefix, pulumi_file = r.stdout.split()
    assert prefix == str(plugin / "venv") and pulumi_file.startswith(str(plugin / "venv")), r.stdout
    assert files_naming(plugin, str(REPO)) == []


def test_python_project_on_the_wheel(ws, plugin, host, ver):
    wheel = ws.root / "dist" / f"pulumi_freebsd-{ver}-py3-none-any.whl"
    project = python_project(ws.root / "py-wheel", "consumer-py", [PULUMI_PY, str(wheel)],
                             python_program("pulumi_freebsd", "zroot/consumer-py", "consumer_py_enable"))
    r = ws.run("install", cwd=project, timeout=900)
    assert_no_repo_path(r.stdout, r.stderr)
    r = ws.tool([str(project / "venv" / "bin" / "python"), "-c",
                 "import importlib.metadata as m, pulumi_freebsd; print(m.version('pulumi'), pulumi_freebsd.__file__)"], cwd=project)
    pulumi_version, sdk_file = r.stdout.split()
    assert pulumi_version == PULUMI_PY.split("==")[1] and sdk_file.startswith(str(project / "venv")), r.stdout
    configure_stack(ws, project, STACK, host)

    lifecycle(ws, project, host, "zroot/consumer-py", "consumer_py_enable",
              plugin / "pulumi-resource-freebsd", plugin / "venv" / "bin" / "python")
    assert_about(ws, project, ver)


# --- 2. pulumi package add -----------------------------------------------------------------------

def test_package_add_of_the_unpacked_archive(ws, host, ver):
    pws = ws.with_home("pulumi-home-package-add")  # nothing installed: only what package add records
    source = ws.root / "freebsd-plugin"
    with tarfile.open(ws.root / "dist" / f"pulumi-resource-freebsd-v{ver}-linux-amd64.tar.gz") as tar:
        tar.extractall(source, filter="data")
    project = python_project(ws.root / "py-package-add", "consumer-pkg", [PULUMI_PY])

    module = package_add(pws, project, source)
    assert (source / "venv" / "bin" / "python").is_file(), "package add made no venv in the plugin dir"
    (project / "__main__.py").write_text(python_program(module, "zroot/consumer-pkg", "consumer_pkg_enable"))
    r = pws.run("install", cwd=project, timeout=900)
    assert_no_repo_path(r.stdout, r.stderr)
    assert_recorded(project, source)
    configure_stack(pws, project, STACK, host)

    lifecycle(pws, project, host, "zroot/consumer-pkg", "consumer_pkg_enable",
              source / "pulumi-resource-freebsd", source / "venv" / "bin" / "python")
    assert_about(pws, project, ver)
    assert files_naming(source, str(REPO)) == []


@pytest.mark.parametrize("where", ["provider", "root"])
def test_package_add_of_a_clone(ws, host, clone, where):
    pws = ws.with_home(f"pulumi-home-clone-{where}")
    source = clone / "provider" if where == "provider" else clone
    # provider/: PulumiPlugin.yaml, so package add has the Python host make provider/venv; the
    # clone's root: the executable `pulumi-resource-` (a symlink to the launcher), which makes the
    # same provider/venv from the pinned runtime on its first start (package add runs it for the
    # schema), never a venv with the SDK in it.
    venv = clone / "provider" / "venv"
    project = python_project(ws.root / f"py-clone-{where}", f"consumer-clone-{where}", [PULUMI_PY])

    module = package_add(pws, project, source)
    assert (venv / "bin" / "python").is_file(), f"package add made no {venv}"
    (project / "__main__.py").write_text(python_program(module, f"zroot/consumer-{where}", f"consumer_{where}_enable"))
    # `pulumi install` resolves the recorded local path (the plugin's venv is refreshed through pip).
    r = pws.run("install", cwd=project, timeout=900)
    assert_no_repo_path(r.stdout, r.stderr)
    assert_recorded(project, source)
    configure_stack(pws, project, STACK, host)

    r = pws.run("preview", "--non-interactive", "--stack", STACK, "-v=9", "--logtostderr", cwd=project)
    assert "+ 3 to create" in r.stdout, r.stdout
    assert launches(r.stderr) and all(p.startswith(str(source)) for p in launches(r.stderr)), launches(r.stderr)
    assert_no_repo_path(r.stdout, r.stderr)
    if (clone / ".git").is_dir():  # package add wrote only what .gitignore covers
        st = subprocess.run(["git", "status", "--porcelain"], cwd=clone, capture_output=True, text=True,
                            timeout=60).stdout
        assert st == "", st


# --- 3. TypeScript from the npm tarball ----------------------------------------------------------

def test_typescript_project_on_the_npm_tarball(ws, plugin, host, ver):
    project = ws.root / "ts"
    project.mkdir()
    tgz = ws.root / "dist" / f"pulumi-freebsd-freebsd-{ver}.tgz"
    (project / "Pulumi.yaml").write_text("name: consumer-ts\nruntime: nodejs\n")
    (project / "package.json").write_text(json.dumps({
        "name": "consumer-ts", "private": True, "main": "index.ts",
        "devDependencies": {"@types/node": "^20", "typescript": "^5.0.0"},
        "dependencies": {"@pulumi/pulumi": "^3.269.0", "@pulumi-freebsd/freebsd": f"file:{tgz}"},
    }, indent=2))
    (project / "tsconfig.json").write_text(json.dumps({
        "compilerOptions": {"strict": True, "outDir": "bin", "target": "es2020", "module": "commonjs",
                            "moduleResolution": "node", "skipLibCheck": True},
        "files": ["index.ts"]}, indent=2))
    (project / "index.ts").write_text(ts_program("zroot/consumer-ts", "consumer_ts_enable"))

    r = ws.run("install", cwd=project, timeout=900)  # npm install
    assert_no_repo_path(r.stdout, r.stderr)
    sdk = json.loads((project / "node_modules" / "@pulumi-freebsd" / "freebsd" / "package.json").read_text())
    assert sdk["version"] == ver and sdk["pulumi"]["name"] == "freebsd", sdk
    ws.tool([str(project / "node_modules" / ".bin" / "tsc"), "--noEmit", "-p", "."], cwd=project, timeout=300)
    configure_stack(ws, project, STACK, host)

    lifecycle(ws, project, host, "zroot/consumer-ts", "consumer_ts_enable",
              plugin / "pulumi-resource-freebsd", plugin / "venv" / "bin" / "python")
    assert_about(ws, project, ver)


# --- 4. the download server ----------------------------------------------------------------------

def test_plugin_install_from_a_download_server(ws, ver):
    served = ws.root / "releases"
    served.mkdir()
    name = f"pulumi-resource-freebsd-v{ver}-linux-amd64.tar.gz"
    shutil.copy2(ws.root / "dist" / name, served / name)
    requests: list[str] = []

    class Handler(http.server.SimpleHTTPRequestHandler):
        def log_message(self, fmt, *args):
            requests.append(f"{self.command} {self.path} {args[1] if len(args) > 1 else ''}".strip())

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), functools.partial(Handler, directory=str(served)))
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        sws = ws.with_home("pulumi-home-server")
        url = f"http://127.0.0.1:{server.server_address[1]}/"
        sws.run("plugin", "install", "resource", "freebsd", ver, "--server", url, timeout=900)
    finally:
        server.shutdown()
        server.server_close()
        thread.join(10)
    assert f"GET /{name} 200" in requests, requests
    r = sws.run("plugin", "ls")
    assert re.search(rf"^freebsd\s+resource\s+{re.escape(ver)}\s", r.stdout, re.M), r.stdout
    plugin = sws.plugin_dir("freebsd", ver)
    assert (plugin / "pulumi-resource-freebsd").is_file() and (plugin / "venv" / "bin" / "python").is_file()
