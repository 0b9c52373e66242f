"""Containers of the mail stack (fixtures/mailstack): SMTP servers, API legs, proxies.

Services find each other by node name, so every cross-provider call takes the
fabric. The architecture ("as-was" or "as-fixed") is the services' ARCH,
unless the architecture's settings give ARCH themselves.
"""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from harness.extensions import ROLES
from harness.roles import Role, StackContext
from harness.topology import Node
from systems.mongodb.roles import ARBITER, MEMBER, mongo_uri

SMTP, API, PROXY = "smtp", "api", "proxy"
ARCHITECTURES = ("as-was", "as-fixed")
API_KEY = "outage-harness-operator-key"
STATUS_PAGE_URL = "https://status.mailstack.test/"
MAIL_DOMAIN = "mailstack.test"
# Every proxy also listens here; users reach whichever holds the floating IP.
FRONT_PORT = 80
# Host-only ports (metrics, HAProxy stats) sit at a fixed offset from the node's port.
SIDE_PORT_OFFSET = 10000


class LegSettings(BaseModel):
    model_config = ConfigDict(extra="forbid")

    # Size the leg at the start of the run so the run's flood asks this many times what it
    # sustains under its CPU limit, as measured there (systems.mailstack.calibration); instead
    # of a cpus share tuned to one machine.
    saturation: float | None = Field(default=None, gt=0, le=100)


class ProxySettings(BaseModel):
    model_config = ConfigDict(extra="forbid")

    # A hot spare starts without the floating IP.
    spare: bool = False


def side_port(node: Node) -> int:
    assert node.port is not None
    return node.port + SIDE_PORT_OFFSET


def architecture_of(ctx: StackContext) -> str:
    return ctx.settings.get("ARCH", ctx.architecture)


def _check(architecture: str, settings: dict[str, Any]) -> list[str]:
    arch = settings.get("ARCH", architecture)
    if arch in ARCHITECTURES:
        return []
    return [f"architecture '{architecture}' does not say how the mail services are built; add "
            f"settings: {{ARCH: as-was}} or {{ARCH: as-fixed}}"]


def ingest_leg_url(node: Node, ctx: StackContext) -> str | None:
    """The API leg an SMTP server hands mail to in the 2018 shape: one in its own
    provider when there is one (inbound mail did not depend on the Chicago front
    in July 2018), else the first leg. A flood on the server loads that leg."""
    legs = ctx.topology.by_role(API)
    if not legs:
        return None
    leg = next((n for n in legs if n.provider == node.provider), legs[0])
    return f"http://{leg.name}:{leg.port}"


def common_env(ctx: StackContext) -> dict[str, str]:
    return {
        "ARCH": architecture_of(ctx),
        "MONGO_URI": mongo_uri(ctx.topology),
        "API_KEY": API_KEY,
        "MAIL_DOMAINS": MAIL_DOMAIN,
        "STATUS_PAGE_URL": STATUS_PAGE_URL,
    }


def _smtp(node: Node, ctx: StackContext) -> Node:
    env = {
        **common_env(ctx),
        "SMTP_PORT": str(node.port),
        "SMTP_METRICS_PORT": str(side_port(node)),
        "SMTP_SERVER_NAME": node.name,
        "SPOOL_DIR": "/var/spool/mailstack",
    }
    if (leg_url := ingest_leg_url(node, ctx)) is not None:
        env["API_BASE_URL"] = leg_url
    return Node(name=node.name, provider=node.provider, image=ctx.images.node, ports=node.ports,
                host_ports=[side_port(node)], command=["python", "-m", "fixtures.mailstack.smtp_server"],
                env=env, ready={"http": {"port": side_port(node), "path": "/healthz"}})


def _api(node: Node, ctx: StackContext) -> Node:
    env = {**common_env(ctx), "API_PORT": str(node.port), "API_LEG": node.name}
    return Node(name=node.name, provider=node.provider, image=ctx.images.node, ports=node.ports,
                command=["python", "-m", "fixtures.mailstack.api"], env=env,
                ready={"http": {"path": "/healthz"}})


def _proxy(node: Node, ctx: StackContext) -> Node:
    legs = [f"--leg={api.name}={api.name}:{api.port}" for api in ctx.topology.by_role(API)]
    link = [f"--status-page-url={STATUS_PAGE_URL}"] if architecture_of(ctx) == "as-fixed" else []
    render = ["python", "-m", "fixtures.mailstack.haproxy", *legs, "--out", "/tmp/haproxy",
              f"--bind=*:{node.port},*:{FRONT_PORT}", f"--stats-bind=*:{side_port(node)}",
              "--resolver=127.0.0.11:53", *link]
    script = " ".join(render) + " >/dev/null && exec haproxy -W -db -f /tmp/haproxy/haproxy.cfg"
    # Ready once the front reaches a leg: HAProxy's checks have found one up.
    return Node(name=node.name, provider=node.provider, image=ctx.images.proxy, ports=node.ports,
                host_ports=[side_port(node)], command=["sh", "-c", script],
                ready={"http": {"path": "/healthz"}})


ROLES.register(Role(SMTP, "an inbound SMTP server of the mail stack (aiosmtpd)", _smtp, ports=(2525,),
                    public=True, needs=(MEMBER, ARBITER), check=_check))
ROLES.register(Role(API, "one API leg of the mail stack (FastAPI)", _api, ports=(8001,), public=True,
                    needs=(MEMBER, ARBITER), options=LegSettings, check=_check))
ROLES.register(Role(PROXY, "the HAProxy front of the API legs; holds the floating IP unless a spare",
                    _proxy, ports=(8080,), public=True, options=ProxySettings, needs=(API,),
                    floating=lambda settings: not (settings is not None and settings.spare), check=_check))
