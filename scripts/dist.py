"""Write the provider plugin's release archives (``make dist``).

    dist/pulumi-resource-freebsd-v<version>-<os>-<arch>.tar.gz   for linux-amd64, darwin-arm64,
                                                                  darwin-amd64

The archives are the layout ``pulumi plugin install resource freebsd <version> --file <archive>``
(and a download server, see README "Release layout") expects: the launcher
``pulumi-resource-freebsd`` at the top, ``PulumiPlugin.yaml`` + ``requirements.txt`` from which the
CLI's Python language host makes the plugin's own venv at install time, and the pure-Python
package ``freebsd_provider``. Nothing in them is platform-specific (the venv, with its
platform's wheels, is made on the user's machine), so the three archives hold the same files;
they exist because the CLI asks for ``<os>-<arch>`` by name.

Archives are reproducible: sorted entries, fixed owner, mode and mtime.
"""
from __future__ import annotations

import gzip
import io
import pathlib
import sys
import tarfile

REPO = pathlib.Path(__file__).resolve().parents[1]
PROVIDER = REPO / "provider"
PLATFORMS = ("linux-amd64", "darwin-arm64", "darwin-amd64")
TOP_FILES = {"pulumi-resource-freebsd": 0o755, "PulumiPlugin.yaml": 0o644,
             "requirements.txt": 0o644, "__main__.py": 0o644}
MTIME = 315532800  # 1980-01-01: the archive does not change when only the time does


def version() -> str:
    sys.path.insert(0, str(PROVIDER))
    from freebsd_provider import VERSION
    return VERSION


def members() -> list[tuple[str, bytes, int]]:
    out = [(name, (PROVIDER / name).read_bytes(), mode) for name, mode in TOP_FILES.items()]
    pkg = PROVIDER / "freebsd_provider"
    for path in sorted(pkg.rglob("*.py")):
        out.append((str(path.relative_to(PROVIDER)), path.read_bytes(), 0o644))
    license_ = REPO / "LICENSE"
    if license_.is_file():
        out.append(("LICENSE", license_.read_bytes(), 0o644))
    return sorted(out)


def archive(entries: list[tuple[str, bytes, int]]) -> bytes:
    raw = io.BytesIO()
    with tarfile.open(fileobj=raw, mode="w", format=tarfile.PAX_FORMAT) as tar:
        dirs: set[str] = set()
        for name, data, mode in entries:
            parts = name.split("/")[:-1]
            for i in range(1, len(parts) + 1):
                d = "/".join(parts[:i])
                if d not in dirs:
                    dirs.add(d)
                    info = tarfile.TarInfo(d)
                    info.type, info.mode, info.mtime = tarfile.DIRTYPE, 0o755, MTIME
                    tar.addfile(info)
            info = tarfile.TarInfo(name)
            info.size, info.mode, info.mtime = len(data), mode, MTIME
            tar.addfile(info, io.BytesIO(data))
    out = io.BytesIO()
    with gzip.GzipFile(fileobj=out, mode="wb", mtime=MTIME, filename="") as gz:
        gz.write(raw.getvalue())
    return out.getvalue()


def main(argv: list[str]) -> int:
    dest = pathlib.Path(argv[1]) if len(argv) > 1 else REPO / "dist"
    dest.mkdir(parents=True, exist_ok=True)
    v = version()
    data = archive(members())
    for platform in PLATFORMS:
        path = dest / f"pulumi-resource-freebsd-v{v}-{platform}.tar.gz"
        path.write_bytes(data)
        print(path)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
