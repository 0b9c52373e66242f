"""`outage init`: a starter scenario for a repository, and a README snippet saying how to run it.

Without a compose file the starter brings its own small system: a web service in
one provider that needs a backend, with a backend in each of two providers, and
two architectures (the web service knowing only the far backend, and knowing its
own provider's first), so the run shows an invariant breaking as expected and
holding once fixed. With a compose file, its services are placed round-robin
into two providers and the probe watches the first service that exposes a port
while the other provider is cut off. Either way the file is loaded with the
harness's own loader before it is written, and nothing that exists is
overwritten unless asked.
"""

from __future__ import annotations

import json
import re
import textwrap
from dataclasses import dataclass
from importlib import metadata
from pathlib import Path
from urllib.parse import urlsplit

from ruamel.yaml import YAML
from ruamel.yaml.error import YAMLError

from harness.errors import HarnessError
from harness.runtime.images import DISTRIBUTION, UPSTREAM
from harness.scenario import ScenarioError, parse_scenario
from harness.scenario.loader import topology_from
from harness.scenario.model import FORMAT
from harness.topology import Node

SCENARIO = "scenario.yaml"
SNIPPET = "OUTAGE.md"
# Compose's own order of preference among the names it looks for.
COMPOSE_FILES = ("compose.yaml", "compose.yml", "docker-compose.yaml", "docker-compose.yml")
PROVIDERS = ("east", "west")
# Ports that conventionally speak HTTP: the guess when nothing else says what a port speaks.
HTTP_PORTS = (80, 8000, 8080)
_URL = re.compile(r"https?://[^\s'\"]+")


@dataclass(frozen=True)
class Watched:
    """What the probe watches in a compose stack, and why the starter says it speaks what it does."""

    service: str
    port: int
    http_path: str | None  # None: a TCP probe
    why: str


@dataclass(frozen=True)
class Written:
    files: list[Path]
    notes: list[str]


def write_starter(folder: Path, *, force: bool = False) -> Written:
    """Write scenario.yaml and OUTAGE.md into ``folder``; an existing one only with ``force``."""
    if not folder.is_dir():
        raise HarnessError(f"{folder} is not a folder", "create it first, or give an existing folder")
    targets = [folder / SCENARIO, folder / SNIPPET]
    existing = [path for path in targets if path.exists()]
    if existing and not force:
        raise HarnessError(f"{', '.join(str(p) for p in existing)} {'exists' if len(existing) == 1 else 'exist'} "
                           "already; outage init overwrites nothing",
                           "pass --force to overwrite, or run outage init in another folder")
    compose = next((folder / name for name in COMPOSE_FILES if (folder / name).is_file()), None)
    scenario, notes = _compose_starter(compose) if compose is not None else _own_starter()
    # What init writes must load as written: a compose key the harness refuses is named now.
    try:
        parse_scenario(scenario, source=str(targets[0]), folder=folder)
    except ScenarioError as err:
        raise HarnessError(str(err), "fix the compose file where it says, then run outage init again") from None
    targets[0].write_text(scenario, encoding="utf-8")
    targets[1].write_text(_snippet(), encoding="utf-8")
    return Written(targets, notes)


def _own_starter() -> tuple[str, list[str]]:
    web = Watched("web", 8080, "/", "web:8080 over HTTP from this machine, which no provider outage cuts")
    return _scenario(
        header=OWN_HEADER, name="starter", topology=OWN_TOPOLOGY.format(image=UPSTREAM["python"]),
        architectures=OWN_ARCHITECTURES, cut=PROVIDERS[1], watched=web,
    ), ["no compose file here: the starter runs a small web service and two backends of its own"]


def _compose_starter(compose: Path) -> tuple[str, list[str]]:
    services = _service_names(compose)
    place = {name: PROVIDERS[index % len(PROVIDERS)] for index, name in enumerate(services)}
    watched = _watched(_nodes(compose, place), compose.name)
    cut = next(p for p in PROVIDERS if p != place[watched.service])
    placement = "\n".join(f"    {name}: {provider}" for name, provider in place.items())
    topology = COMPOSE_TOPOLOGY.format(compose=compose.name, placement=placement)
    count = f"{len(services)} service{'s' if len(services) > 1 else ''}"
    notes = [f"{compose.name}: {count} placed round-robin in {' and '.join(PROVIDERS)}",
             f"the probe watches {watched.why}"]
    return _scenario(
        header=COMPOSE_HEADER.format(compose=compose.name, watched=watched.service, cut=cut),
        name=f"{_slug(compose.resolve().parent.name)}-{cut}-down", topology=topology,
        architectures=COMPOSE_ARCHITECTURES.format(compose=compose.name), cut=cut, watched=watched,
    ), notes


def _service_names(compose: Path) -> list[str]:
    try:
        tree = YAML(typ="safe").load(compose.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, YAMLError) as exc:
        raise HarnessError(f"cannot read {compose}: {exc}", "fix the compose file, or run outage init elsewhere") from None
    services = tree.get("services") if isinstance(tree, dict) else None
    if not isinstance(services, dict) or not services:
        raise HarnessError(f"{compose} has no services", "add services: to it, or run outage init in an empty folder")
    return [str(name) for name in services]


def _nodes(compose: Path, place: dict[str, str]) -> list[Node]:
    """The compose file's services as the harness reads them (a key it refuses is named here)."""
    try:
        return topology_from({"compose": compose.name, "place": place}, str(compose), compose.parent).nodes
    except ScenarioError as err:
        raise HarnessError(str(err), "fix the compose file where it says, then run outage init again") from None


def _watched(nodes: list[Node], compose: str) -> Watched:
    """The service the probe watches: the first whose healthcheck asks an http:// URL, else the
    first with a conventional HTTP port, else (over TCP) the first with any port."""
    with_ports = [node for node in nodes if node.ports]
    if not with_ports:
        raise HarnessError(f"no service in {compose} has ports or expose, so nothing can be probed",
                           "add expose: [PORT] to the service the starter should watch")
    for node in with_ports:
        asked = _healthcheck_url(node)
        if asked is not None:
            url, port, path = asked
            return Watched(node.name, port, path, f"{node.name}:{port} over HTTP, because its healthcheck asks "
                                                  f"{url} (the probe asks the same path)")
    for node in with_ports:
        port = next((p for p in node.ports if p in HTTP_PORTS), None)
        if port is not None:
            return Watched(node.name, port, "/",
                           f"{node.name}:{port} over HTTP, guessed from the port alone (no healthcheck asks "
                           "an http:// URL): any status under 400 counts, so point path: at a page that "
                           "answers 200")
    node = with_ports[0]
    return Watched(node.name, node.ports[0], None,
                   f"{node.name}:{node.ports[0]} over TCP only: nothing in {compose} says a port speaks "
                   f"HTTP (no healthcheck asks an http:// URL, and no port is {_either(HTTP_PORTS)}); once you "
                   "know one does, write kind: http and the path to ask")


def _either(ports: tuple[int, ...]) -> str:
    return ", ".join(map(str, ports[:-1])) + f" or {ports[-1]}"


def _healthcheck_url(node: Node) -> tuple[str, int, str] | None:
    """The http:// URL a node's healthcheck asks, with its port and path (None without one, or
    when its port is a variable only the container knows)."""
    argv = node.ready.exec if node.ready is not None and node.ready.exec is not None else []
    match = _URL.search(" ".join(argv))
    if match is None:
        return None
    parts = urlsplit(match.group(0))
    try:
        port = parts.port or (443 if parts.scheme == "https" else 80)
    except ValueError:
        return None
    return match.group(0), port, parts.path or "/"


def _probe(watched: Watched) -> str:
    """The probe's entry, named after the node it watches; a path YAML would misread is quoted."""
    node, port = watched.service, watched.port
    if watched.http_path is None:
        return f"- {{id: {node}, kind: tcp, targets: [{node}], port: {port}, every: 250ms, timeout: 3s}}"
    path = watched.http_path if re.fullmatch(r"[\w/.-]+", watched.http_path) else json.dumps(watched.http_path)
    return f"- {{id: {node}, kind: http, targets: [{node}], port: {port}, path: {path}, every: 250ms, timeout: 3s}}"


def _scenario(*, header: str, name: str, topology: str, architectures: str, cut: str, watched: Watched) -> str:
    version = _version()
    comment = "\n  ".join(f"# {line}" for line in textwrap.wrap(f"The probe watches {watched.why}.", 88))
    return SCENARIO_TEMPLATE.format(
        header=header.strip(), written_by=f"outage-harness {version}" if version else "outage-harness",
        format=FORMAT, name=name, topology=topology.strip(), architectures=architectures.strip(), cut=cut,
        probe_id=watched.service, probe=_probe(watched), probe_comment=comment)


def _snippet() -> str:
    version = _version()
    pin = f'"{DISTRIBUTION}=={version}"' if version else DISTRIBUTION
    return SNIPPET_TEMPLATE.format(pin=pin, scenario=SCENARIO)


def _version() -> str | None:
    """The installed harness's version (None when it runs from a checkout that is not installed)."""
    try:
        return metadata.version(DISTRIBUTION)
    except metadata.PackageNotFoundError:
        return None


def _slug(text: str) -> str:
    slug = re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")
    return slug if slug and slug[0].isalpha() else f"stack-{slug}".rstrip("-")


SCENARIO_TEMPLATE = """\
{header}
#
# Run it:   outage run scenario.yaml     (or: pytest scenario.yaml)
# Each run writes reports/<time>-<name>-<architecture>/report.html; exit status 0 when every
# architecture met its expectation below. Written by `outage init` of {written_by}.

# The scenario file format (CHANGELOG.md of outage-harness says what each one changed).
version: {format}
name: {name}
incident: >
  Provider {cut} loses every link to the others for 8 s. Replace this with the
  outage you are replaying: what happened, and what should have happened.
seed: 1
time_scale: 1             # the timeline below is in real seconds (0.1 would replay it 10x faster)
duration: 15s             # the timeline's length; at: and for: below fall inside it
grace: 2s                 # the probe keeps watching this long after the timeline

{topology}

{architectures}

timeline:
  # blackhole: packets vanish, so connections hang until the client's own timeout (like a
  # failed router); mode: refuse makes them fail at once instead.
  - id: {cut}-down
    at: t+5s
    for: 8s
    fault: {{kind: provider-outage, provider: {cut}, mode: blackhole}}

probes:
  {probe_comment}
  {probe}

invariants:
  # At least 90% of the probe's observations succeed while {cut} is cut off.
  - id: {probe_id}-available-during-cut
    kind: availability
    target: {probe_id}
    min: 0.9
    phase: during:{cut}-down
"""

OWN_HEADER = """\
# A starter scenario: a provider outage against a small web service, in two architectures.
#
# web (in east) answers a GET only once one of its backends has answered it, trying the
# backends named in BACKENDS in order. As it was, web knows only backend-west: when west is
# cut off from east, web fails. As fixed, web tries backend-east first, in its own provider,
# and the same outage goes unnoticed. Replace the nodes with your own system's (any image or
# build: folder, or a compose file: see the README of outage-harness).
"""

OWN_TOPOLOGY = """\
topology:
  # Each provider is a network of its own; the harness carries every connection between
  # providers through Toxiproxy, which is where the outage below is made.
  providers:
    east: {{description: "web and a backend beside it"}}
    west: {{description: "the other backend: the provider that goes down"}}
  # Where no registry can be reached (the local image profile), Debian's python3 stands in
  # for the image the nodes name.
  local_images:
    {image}: {{debian: [python3]}}
  nodes:
    - name: backend-west
      provider: west
      image: {image}
      command: [python3, -m, http.server, "8000", --bind, 0.0.0.0, --directory, /srv]
      ports: [8000]
      ready: {{http: {{path: /}}}}
    - name: backend-east
      provider: east
      image: {image}
      command: [python3, -m, http.server, "8000", --bind, 0.0.0.0, --directory, /srv]
      ports: [8000]
      ready: {{http: {{path: /}}}}
    - name: web
      provider: east
      image: {image}
      depends_on: [backend-west, backend-east]
      ports: [8080]
      ready: {{tcp: {{}}}}
      command:
        - python3
        - -c
        - |
          import os, urllib.request
          from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

          class Web(BaseHTTPRequestHandler):
              def do_GET(self):
                  for backend in os.environ["BACKENDS"].split():
                      try:
                          urllib.request.urlopen(f"http://{{backend}}:8000/", timeout=1).close()
                      except OSError:
                          continue
                      self.send_response(200)
                      self.end_headers()
                      self.wfile.write(f"served with {{backend}}\\n".encode())
                      return
                  self.send_error(502, "no backend answered")

          ThreadingHTTPServer(("0.0.0.0", 8080), Web).serve_forever()
"""

OWN_ARCHITECTURES = """\
# Each architecture runs the same timeline; UPPER_CASE settings are every node's environment.
# An architecture passes when exactly the invariants under expect.broken break.
architectures:
  as-was:
    settings: {BACKENDS: backend-west}
    expect: {broken: [web-available-during-cut]}
  as-fixed:
    settings: {BACKENDS: backend-east backend-west}
    expect: {broken: []}
"""

COMPOSE_HEADER = """\
# A starter scenario for {compose}: its services in two hosting providers, east and west,
# each a network of its own, joined only through Toxiproxy, and one of them cut off.
#
# The probe watches {watched} from this machine, which no provider outage cuts, while {cut}
# loses every link to the other provider: the invariant holds if {watched} keeps answering
# without what runs in {cut}.
"""

COMPOSE_TOPOLOGY = """\
topology:
  compose: {compose}
  # Each service in a provider, round-robin in the file's order: move each to where it
  # really runs (a data centre, a cloud region, a VPS host).
  place:
{placement}
  providers:
    east: {{description: "replace with where these services run"}}
    west: {{description: "replace with where these services run"}}
  # Where no registry can be reached (the local image profile), an upstream image needs a
  # stand-in built from Debian packages, e.g.
  # local_images:
  #   redis:7.2: {{debian: [redis-server]}}
"""

COMPOSE_ARCHITECTURES = """\
# One architecture: the system as {compose} describes it, expected to hold every invariant.
# Add another (with its own topology: or UPPER_CASE settings:, which become every node's
# environment) to compare a fix; list under expect.broken what an architecture is known to break.
architectures:
  as-is:
    expect: {{broken: []}}
"""

SNIPPET_TEMPLATE = """\
## Outage scenarios

`{scenario}` replays a hosting provider's outage against this repository's
stack with outage-harness, and judges whether the system still answers. It
needs Python 3.11 or later and a Docker engine this user can reach
(`docker info` works).

```sh
pip install {pin} pytest
outage run {scenario}         # exit status 0: every architecture met its expectation
pytest {scenario}             # the same runs as pytest items (add --junitxml for CI)
```

Each run writes a folder under `reports/` (`report.html`: the verdicts and
the timeline; `journal.json`; `junit.xml`; every node's log), and
`reports/index.html` lists them; keep `reports/` out of version control.
Where no image registry can be reached, the harness builds its images
locally (`--profile local`). To gate releases in CI, see `docs/ci.md` of
outage-harness.
"""
