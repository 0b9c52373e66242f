"""Containers of the mail stack (fixtures/mailstack): SMTP servers, API legs, proxies.

Services find each other by node name, so every cross-provider call takes the
fabric. The architecture ("as-was" or "as-fixed") is the services' ARCH; a
scenario's ``env`` settings reach every service's environment unchanged.
"""

from __future__ import annotations

import smtplib

import httpx

from harness.stack.database import mongo_uri
from harness.stack.recipe import Recipe, StackContext
from harness.topology import Node, Role

API_KEY = "outage-harness-operator-key"
STATUS_PAGE_URL = "https://status.mailstack.test/"
MAIL_DOMAIN = "mailstack.test"
# Every proxy also listens here; users reach whichever holds the floating IP.
FRONT_PORT = 80
# Host-only ports (metrics, HAProxy stats) sit at a fixed offset from the node's port.
SIDE_PORT_OFFSET = 10000


def side_port(node: Node) -> int:
    assert node.port is not None
    return node.port + SIDE_PORT_OFFSET


def ingest_leg_url(node: Node, ctx: StackContext) -> str | None:
    """The API leg an SMTP server hands mail to in the 2018 shape: one in its own
    provider when there is one (inbound mail did not depend on the Chicago front
    in July 2018), else the first leg. A flood on the server loads that leg."""
    legs = ctx.topology.by_role(Role.API)
    if not legs:
        return None
    leg = next((n for n in legs if n.provider == node.provider), legs[0])
    return f"http://{leg.name}:{leg.port}"


def common_env(ctx: StackContext) -> dict[str, str]:
    env = {
        "ARCH": ctx.settings.get("ARCH", "as-fixed"),
        "MONGO_URI": mongo_uri(ctx.topology),
        "API_KEY": API_KEY,
        "MAIL_DOMAINS": MAIL_DOMAIN,
        "STATUS_PAGE_URL": STATUS_PAGE_URL,
    }
    env.update({k: v for k, v in ctx.settings.items() if k.isupper()})
    return env


def smtp_recipe(node: Node, ctx: StackContext) -> Recipe:
    env = {
        **common_env(ctx),
        "SMTP_PORT": str(node.port),
        "SMTP_METRICS_PORT": str(side_port(node)),
        "SMTP_SERVER_NAME": node.name,
        "SPOOL_DIR": "/var/spool/mailstack",
    }
    if (leg_url := ingest_leg_url(node, ctx)) is not None:
        env["API_BASE_URL"] = leg_url
    return Recipe(ctx.images.node, ["python", "-m", "fixtures.mailstack.smtp_server"], env,
                  ready=smtp_answers, host_ports=(side_port(node),))


def api_recipe(node: Node, ctx: StackContext) -> Recipe:
    env = {**common_env(ctx), "API_PORT": str(node.port), "API_LEG": node.name}
    return Recipe(ctx.images.node, ["python", "-m", "fixtures.mailstack.api"], env, ready=http_answers)


def proxy_recipe(node: Node, ctx: StackContext) -> Recipe:
    legs = [f"--leg={api.name}={api.name}:{api.port}" for api in ctx.topology.by_role(Role.API)]
    link = ([f"--status-page-url={STATUS_PAGE_URL}"]
            if ctx.settings.get("ARCH", "as-fixed") == "as-fixed" else [])
    render = ["python", "-m", "fixtures.mailstack.haproxy", *legs, "--out", "/tmp/haproxy",
              f"--bind=*:{node.port},*:{FRONT_PORT}", f"--stats-bind=*:{side_port(node)}",
              "--resolver=127.0.0.11:53", *link]
    script = " ".join(render) + " >/dev/null && exec haproxy -W -db -f /tmp/haproxy/haproxy.cfg"
    return Recipe(ctx.images.proxy, ["sh", "-c", script], ready=http_answers,
                  host_ports=(side_port(node),))


def smtp_answers(address: str, port: int) -> bool:
    try:
        with smtplib.SMTP(address, port, timeout=2) as client:
            return client.noop()[0] == 250
    except (OSError, smtplib.SMTPException):
        return False


def http_answers(address: str, port: int) -> bool:
    try:
        return httpx.get(f"http://{address}:{port}/healthz", timeout=2).status_code < 500
    except httpx.HTTPError:
        return False
