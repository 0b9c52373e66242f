"""The images a stack runs, in two profiles, built once and cached by input hash.

``upstream``: official images (mongo:7.0, haproxy, Toxiproxy) pulled as usual,
and our services image built on python:3.11-slim.
``local``: no registry needed. A Debian rootfs from debootstrap (python3,
haproxy) imported as a base image, the Toxiproxy server compiled from the Go
module proxy into a scratch image, and our services installed from wheels
downloaded on the host (containers do not trust the host's TLS interception).

Every tag carries a hash of its inputs, so a set-up that finds its tags
present rebuilds nothing. The inputs are the installed packages' own files
and pins, so a checkout and a wheel of the same sources share their images.
"""

from __future__ import annotations

import hashlib
import io
import os
import re
import shutil
import subprocess
import sys
import tarfile
import tempfile
import tomllib
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from enum import StrEnum
from importlib import metadata
from pathlib import Path

import docker
from docker.errors import APIError, BuildError, ImageNotFound
from packaging.requirements import Requirement

import fixtures
from harness.errors import HarnessError

DISTRIBUTION = "outage-harness"
# What the services image runs: the fixtures package wherever it is, a checkout or site-packages.
FIXTURES = Path(fixtures.__file__).resolve().parent
# A checkout holds the packages beside pyproject.toml; an installed wheel has no such file.
CHECKOUT = FIXTURES.parent if (FIXTURES.parent / "pyproject.toml").is_file() else None
TOXIPROXY_VERSION = "2.12.0"
DEBIAN_SUITE = "bookworm"
BASE_PACKAGES = ("python3", "python3-venv", "haproxy", "ca-certificates", "iproute2", "procps")
UPSTREAM = {
    "toxiproxy": f"ghcr.io/shopify/toxiproxy:{TOXIPROXY_VERSION}",
    "haproxy": "haproxy:2.8",
    "mongo": "mongo:7.0",
    "python": "python:3.11-slim-bookworm",
}
# The services image runs the stack's Python: /opt/venv on PATH, code in /app.
NODE_DOCKERFILE_TAIL = """\
ENV PATH=/opt/venv/bin:$PATH PYTHONUNBUFFERED=1 PYTHONDONTWRITEBYTECODE=1
COPY fixtures /app/fixtures
WORKDIR /app
"""

Say = Callable[[str], None]


class Profile(StrEnum):
    UPSTREAM = "upstream"
    LOCAL = "local"


@dataclass(frozen=True)
class ImageSet:
    """Image tags by use. ``mongo`` is None where the emulator stands in."""

    profile: Profile
    node: str
    proxy: str
    toxiproxy: str
    mongo: str | None
    base: str | None = None  # the local profile's Debian base image, for stand-ins of upstream images

    @property
    def database_tier(self) -> str:
        return "mongod (mongo:7.0)" if self.mongo else "emulator (fixtures/mongoemu, not MongoDB)"


def choose_profile(client: docker.DockerClient, forced: str | None, say: Say) -> Profile:
    """The forced profile, else upstream when its images are here or can be pulled."""
    if forced:
        try:
            return Profile(forced)
        except ValueError:
            raise HarnessError(
                f"unknown image profile '{forced}'", "use --profile upstream or --profile local"
            ) from None
    if all(_present(client, ref) for ref in UPSTREAM.values()):
        return Profile.UPSTREAM
    try:
        client.images.pull(UPSTREAM["toxiproxy"])
        return Profile.UPSTREAM
    except (APIError, docker.errors.DockerException) as err:
        reason = getattr(err, "explanation", None) or str(err).splitlines()[0]
        say(f"cannot pull upstream images ({str(reason)[:160]}); using the local profile")
        return Profile.LOCAL


def ensure_images(client: docker.DockerClient, profile: Profile, say: Say) -> ImageSet:
    if profile is Profile.UPSTREAM:
        for ref in UPSTREAM.values():
            if not _present(client, ref):
                say(f"pulling {ref}")
                client.images.pull(ref)
        node = _ensure_node_image(client, UPSTREAM["python"], upstream=True, say=say)
        return ImageSet(profile, node=node, proxy=UPSTREAM["haproxy"],
                        toxiproxy=UPSTREAM["toxiproxy"], mongo=UPSTREAM["mongo"])
    base = _ensure_base_image(client, say)
    toxiproxy = _ensure_toxiproxy_image(client, say)
    node = _ensure_node_image(client, base, upstream=False, say=say)
    return ImageSet(profile, node=node, proxy=node, toxiproxy=toxiproxy, mongo=None, base=base)


def cache_dir() -> Path:
    """Where downloaded wheels and the compiled Toxiproxy are kept: the checkout's .cache, or
    the user's cache folder when the harness is installed (site-packages is no place to write)."""
    if CHECKOUT is not None:
        return CHECKOUT / ".cache"
    user_cache = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(user_cache) / DISTRIBUTION


def stack_requirements() -> list[str]:
    """The pinned requirements of the services image: the ``stack`` extra, read from
    pyproject.toml in a checkout (edits count before a reinstall) and from the installed
    distribution's metadata otherwise. Both give the same lines, so the image tag is the same."""
    if CHECKOUT is not None:
        with (CHECKOUT / "pyproject.toml").open("rb") as src:
            project = tomllib.load(src)["project"]
        return list(project["optional-dependencies"]["stack"])
    try:
        declared = metadata.requires(DISTRIBUTION) or []
    except metadata.PackageNotFoundError:
        raise HarnessError(f"the {DISTRIBUTION} distribution is not installed, so the services image's "
                           "requirements are unknown", f"pip install {DISTRIBUTION} (or this repository "
                           "by path), or run from a checkout") from None
    # Only the lines that apply with the extra and not without it (pymongo is listed both ways).
    requirements = [Requirement(line) for line in declared]
    return [_without_marker(r) for r in requirements if r.marker is not None
            and r.marker.evaluate({"extra": "stack"}) and not r.marker.evaluate({"extra": ""})]


def _without_marker(requirement: Requirement) -> str:
    """A requirement as pyproject.toml writes it: without its ``extra == "stack"`` marker."""
    requirement.marker = None
    return str(requirement)


def _present(client: docker.DockerClient, ref: str) -> bool:
    try:
        client.images.get(ref)
        return True
    except ImageNotFound:
        return False


def _digest(*parts: str | bytes) -> str:
    h = hashlib.sha256()
    for part in parts:
        h.update(part.encode() if isinstance(part, str) else part)
        h.update(b"\0")
    return h.hexdigest()[:12]


def _tree_digest(root: Path) -> str:
    h = hashlib.sha256()
    for path in sorted(_source_files(root)):
        h.update(str(path.relative_to(root)).encode())
        h.update(path.read_bytes())
    return h.hexdigest()[:12]


def _source_files(root: Path) -> Iterable[Path]:
    for path in root.rglob("*"):
        if path.is_file() and "__pycache__" not in path.parts and path.suffix != ".pyc":
            yield path


def _ensure_base_image(client: docker.DockerClient, say: Say) -> str:
    tag = f"outage-harness/base:{_digest(DEBIAN_SUITE, *BASE_PACKAGES, 'minbase-v1')}"
    if _present(client, tag):
        return tag
    if shutil.which("debootstrap") is None:
        say("installing debootstrap")
        _run(["apt-get", "update", "-qq"], "apt-get update")
        _run(["apt-get", "install", "-y", "-qq", "debootstrap"], "apt-get install debootstrap")
    mirror = debian_mirror()
    say(f"building base image {tag} with debootstrap (about a minute)")
    with tempfile.TemporaryDirectory(prefix="outage-rootfs-") as tmp:
        rootfs = Path(tmp) / "rootfs"
        _run(
            ["debootstrap", "--variant=minbase", f"--include={','.join(BASE_PACKAGES)}",
             DEBIAN_SUITE, str(rootfs), mirror],
            "debootstrap",
        )
        for junk in ("var/cache/apt/archives", "var/lib/apt/lists", "usr/share/doc", "usr/share/man"):
            shutil.rmtree(rootfs / junk, ignore_errors=True)
        archive = Path(tmp) / "rootfs.tar"
        _run(["tar", "--numeric-owner", "-C", str(rootfs), "-cf", str(archive), "."], "tar rootfs")
        repository, version = tag.split(":")
        client.api.import_image_from_file(str(archive), repository=repository, tag=version)
    return tag


def debian_mirror() -> str:
    """The Debian mirror this machine's apt uses (never written into the repo)."""
    deb822 = Path("/etc/apt/sources.list.d/debian.sources")
    candidates: list[str] = []
    if deb822.exists():
        candidates += re.findall(r"^URIs:\s*(\S+)", deb822.read_text(), flags=re.M)
    legacy = Path("/etc/apt/sources.list")
    if legacy.exists():
        candidates += re.findall(r"^deb\s+(?:\[[^\]]*\]\s+)?(\S+)\s+\S+", legacy.read_text(), flags=re.M)
    for uri in candidates:
        if not uri.rstrip("/").endswith("-security"):
            return uri
    raise HarnessError(
        "cannot find a Debian mirror in this machine's apt sources",
        "configure apt (/etc/apt/sources.list.d/debian.sources) or use --profile upstream",
    )


def _ensure_toxiproxy_image(client: docker.DockerClient, say: Say) -> str:
    tag = f"outage-harness/toxiproxy:{TOXIPROXY_VERSION}-{_digest('scratch-v1')}"
    if _present(client, tag):
        return tag
    binary = toxiproxy_server_binary(say)
    say(f"building {tag}")
    dockerfile = 'FROM scratch\nCOPY toxiproxy /toxiproxy\nENTRYPOINT ["/toxiproxy"]\n'
    _build(client, tag, dockerfile, {"toxiproxy": binary})
    return tag


def toxiproxy_server_binary(say: Say) -> Path:
    """The Toxiproxy server, compiled statically from the Go module proxy once."""
    target = cache_dir() / f"toxiproxy-{TOXIPROXY_VERSION}" / "toxiproxy-server"
    if target.exists():
        return target
    if shutil.which("go") is None:
        raise HarnessError(
            "the local profile compiles the Toxiproxy server with Go, and `go` is not on PATH",
            "install Go (Debian: golang-go) or use --profile upstream on a machine that can pull",
        )
    say(f"compiling Toxiproxy {TOXIPROXY_VERSION} with go install (about a minute)")
    gobin = target.parent / "bin"
    env = {**os.environ, "CGO_ENABLED": "0", "GOBIN": str(gobin)}
    done = subprocess.run(
        ["go", "install", f"github.com/Shopify/toxiproxy/v2/cmd/server@v{TOXIPROXY_VERSION}"],
        capture_output=True, text=True, env=env, check=False,
    )
    if done.returncode != 0:
        raise HarnessError(
            f"go install of the Toxiproxy server failed: {done.stderr.strip()[-600:]}",
            "check that the Go module proxy is reachable (go env GOPROXY)",
        )
    (gobin / "server").rename(target)
    return target


def _ensure_node_image(client: docker.DockerClient, base: str, *, upstream: bool, say: Say) -> str:
    requirements = "\n".join(stack_requirements()) + "\n"
    if upstream:
        head = (f"FROM {base}\nCOPY requirements.txt /tmp/requirements.txt\n"
                "RUN pip install --no-cache-dir -r /tmp/requirements.txt "
                "&& python -m venv --system-site-packages /opt/venv\n")
    else:
        head = (f"FROM {base}\nCOPY wheels /tmp/wheels\nCOPY requirements.txt /tmp/requirements.txt\n"
                "RUN python3 -m venv /opt/venv && /opt/venv/bin/pip install --no-index "
                "--find-links /tmp/wheels -r /tmp/requirements.txt && rm -rf /tmp/wheels\n")
    dockerfile = head + NODE_DOCKERFILE_TAIL
    tag = f"outage-harness/node:{_digest(dockerfile, requirements, _tree_digest(FIXTURES))}"
    if _present(client, tag):
        return tag
    files: dict[str, Path | bytes] = {"requirements.txt": requirements.encode(), "fixtures": FIXTURES}
    if not upstream:
        files["wheels"] = _wheelhouse(requirements, say)
    say(f"building services image {tag}")
    _build(client, tag, dockerfile, files)
    _remove_older_tags(client, tag)
    return tag


def _remove_older_tags(client: docker.DockerClient, current: str) -> None:
    """Drop earlier builds of the same image (a container still using one keeps it)."""
    repository = current.split(":")[0]
    for image in client.images.list(name=repository):
        for tag in image.tags:
            if tag != current:
                try:
                    client.images.remove(tag, noprune=False)
                except APIError:
                    pass


def _wheelhouse(requirements: str, say: Say) -> Path:
    """Wheels for the services image, fetched with the host's pip (and its CA trust)."""
    house = cache_dir() / "wheels" / _digest(requirements, sys.version.split()[0])
    if (house / ".complete").exists():
        return house
    say("downloading the services' wheels on the host")
    house.mkdir(parents=True, exist_ok=True)
    req = house / "requirements.txt"
    req.write_text(requirements)
    done = subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--quiet", "-w", str(house), "-r", str(req)],
        capture_output=True, text=True, check=False,
    )
    if done.returncode != 0:
        raise HarnessError(
            f"pip wheel for the services image failed: {done.stderr.strip()[-600:]}",
            "check that this machine reaches its Python package index (pip config list)",
        )
    (house / ".complete").touch()
    return house


def _build(client: docker.DockerClient, tag: str, dockerfile: str, files: dict[str, Path | bytes]) -> None:
    context = io.BytesIO()
    with tarfile.open(fileobj=context, mode="w") as tar:
        _add_bytes(tar, "Dockerfile", dockerfile.encode())
        for name, item in files.items():
            if isinstance(item, bytes):
                _add_bytes(tar, name, item)
            elif item.is_dir():
                for path in _source_files(item):
                    tar.add(path, arcname=f"{name}/{path.relative_to(item)}")
            else:
                tar.add(item, arcname=name)
    context.seek(0)
    try:
        client.images.build(fileobj=context, custom_context=True, tag=tag, rm=True, forcerm=True)
    except BuildError as err:
        log = "".join(str(chunk.get("stream", chunk.get("error", ""))) for chunk in err.build_log)
        raise HarnessError(f"building {tag} failed:\n{log[-1500:]}", "fix the build error above") from err


def _add_bytes(tar: tarfile.TarFile, name: str, data: bytes) -> None:
    info = tarfile.TarInfo(name)
    info.size = len(data)
    info.mode = 0o644
    tar.addfile(info, io.BytesIO(data))


def _run(argv: list[str], what: str) -> None:
    done = subprocess.run(argv, capture_output=True, text=True, check=False)  # noqa: S603
    if done.returncode != 0:
        raise HarnessError(
            f"{what} failed (exit {done.returncode}): {(done.stderr or done.stdout).strip()[-600:]}",
            "check that the machine reaches its Debian package mirror",
        )


def build_folder(client: docker.DockerClient, folder: Path, node: str, say: Say) -> str:
    """The image of a node's ``build:`` folder, built once per content of the folder."""
    if not (folder / "Dockerfile").is_file():
        raise HarnessError(f"node '{node}': the build folder {folder} has no Dockerfile",
                           "add a Dockerfile there, or give the node an image: instead")
    tag = f"outage-harness/build-{node}:{_tree_digest(folder)}"
    if _present(client, tag):
        return tag
    say(f"building {tag} from {folder}")
    try:
        client.images.build(path=str(folder), tag=tag, rm=True, forcerm=True)
    except BuildError as err:
        log = "".join(str(chunk.get("stream", chunk.get("error", ""))) for chunk in err.build_log)
        raise HarnessError(f"node '{node}': building {folder} failed:\n{log[-1500:]}",
                           "fix the Dockerfile or what it copies") from None
    except APIError as err:
        raise HarnessError(f"node '{node}': building {folder} failed: {err.explanation or err}",
                           "fix the Dockerfile or what it copies") from None
    return tag


def debian_stand_in(client: docker.DockerClient, base: str, packages: list[str], say: Say) -> str:
    """An image of Debian packages on the local base image: what the local profile runs where a
    scenario names an upstream image it cannot pull (Debian's redis-server for redis:7.2).
    apt reads the mirror the base image was bootstrapped from."""
    dockerfile = (f"FROM {base}\nRUN apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "
                  f"--no-install-recommends {' '.join(sorted(packages))} >/dev/null && rm -rf /var/lib/apt/lists/*\n")
    tag = f"outage-harness/debian:{_digest(dockerfile)}"
    if _present(client, tag):
        return tag
    say(f"building {tag} with Debian's {', '.join(sorted(packages))}")
    _build(client, tag, dockerfile, {})
    return tag
