"""HAProxy configuration rendering, checked by the real haproxy when it is installed."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest

from fixtures.mailstack.haproxy import (
    FrontOptions,
    HaproxyConfigError,
    HealthCheck,
    Leg,
    Timeouts,
    main,
    render_config,
    render_error_page,
    write_bundle,
)

LEGS = [Leg("api-1", "10.0.0.5", 8001), Leg("api-2", "api-2.internal", 8002), Leg("api-3", "::1", 8003)]
STATUS_PAGE = "https://status.mailstack.test/"


def test_config_balances_over_every_leg_with_a_readyz_check() -> None:
    config = render_config(LEGS, errors_dir="/etc/haproxy/errors")
    assert "server api-1 10.0.0.5:8001 check" in config
    assert "server api-2 api-2.internal:8002 check" in config
    assert "server api-3 [::1]:8003 check" in config
    assert "http-check send meth GET uri /readyz" in config
    assert "http-check expect status 200" in config
    assert "timeout connect 2000ms" in config and "timeout server 5000ms" in config
    for status in (502, 503, 504):
        assert f"errorfile {status} /etc/haproxy/errors/{status}.http" in config
    assert "monitor-uri /healthz" in config and "stats uri /stats" in config


def test_timeouts_and_checks_are_configurable() -> None:
    options = FrontOptions(
        bind="127.0.0.1:9080",
        timeouts=Timeouts(server_ms=1500),
        health_check=HealthCheck(path="/healthz", interval_ms=200, fall=3, rise=1),
    )
    config = render_config(LEGS[:1], errors_dir="/e", options=options)
    assert "bind 127.0.0.1:9080" in config
    assert "timeout server 1500ms" in config
    assert "http-check send meth GET uri /healthz" in config
    assert "default-server inter 200ms fall 3 rise 1 init-addr last,libc,none" in config
    assert "resolvers" not in config


def test_the_front_can_listen_on_several_addresses() -> None:
    config = render_config(LEGS, errors_dir="/e", options=FrontOptions(bind="*:8080,*:80"))
    assert "bind *:8080,*:80" in config


def test_docker_resolver_lets_leg_names_resolve_at_run_time() -> None:
    config = render_config(LEGS, errors_dir="/e", options=FrontOptions(resolver="127.0.0.11:53"))
    assert "resolvers dns\n    nameserver dns1 127.0.0.11:53" in config
    assert "init-addr last,libc,none resolvers dns" in config


@pytest.mark.parametrize("status", [502, 503, 504])
def test_error_pages_link_the_status_page_only_when_given_one(status: int) -> None:
    with_link = render_error_page(status, STATUS_PAGE)
    without = render_error_page(status)
    assert f'href="{STATUS_PAGE}"' in with_link
    assert "href" not in without
    for page in (with_link, without):
        head, _, body = page.partition("\r\n\r\n")
        assert head.startswith(f"HTTP/1.0 {status} ")
        assert f"Content-Length: {len(body.encode())}" in head


@pytest.mark.parametrize(
    "make",
    [
        lambda: render_config([], errors_dir="/e"),
        lambda: render_config([LEGS[0], LEGS[0]], errors_dir="/e"),
        lambda: Leg("bad name", "h", 1),
        lambda: Leg("a", "h", 70000),
        lambda: Leg.parse("nohost"),
        lambda: FrontOptions(bind="8080"),
        lambda: render_error_page(503, 'javascript:alert("x")'),
        lambda: render_error_page(500),
    ],
)
def test_bad_input_is_refused_with_a_clear_error(make) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(HaproxyConfigError):
        make()


def test_leg_parsing() -> None:
    assert Leg.parse("api-7=10.1.2.3:8007") == Leg("api-7", "10.1.2.3", 8007)
    assert Leg.parse("10.1.2.3:8001", 2) == Leg("api-2", "10.1.2.3", 8001)
    assert Leg.parse("v6=[::1]:8001") == Leg("v6", "::1", 8001)


def test_command_line_writes_a_bundle_and_exits_2_on_bad_legs(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert (
        main(["--leg", "api-1=127.0.0.1:8001", "--out", str(tmp_path), "--status-page-url", STATUS_PAGE]) == 0
    )
    assert (tmp_path / "haproxy.cfg").exists()
    assert STATUS_PAGE in (tmp_path / "errors" / "503.http").read_text()
    assert main(["--leg", "nonsense", "--out", str(tmp_path)]) == 2
    assert "name=host:port" in capsys.readouterr().err


@pytest.mark.skipif(
    shutil.which("haproxy") is None, reason="haproxy is not installed (apt-get install -y haproxy)"
)
@pytest.mark.parametrize("status_page_url", [None, STATUS_PAGE], ids=["as-was", "as-fixed"])
def test_real_haproxy_accepts_the_rendered_config(tmp_path: Path, status_page_url: str | None) -> None:
    # api-2.internal resolves nowhere: HAProxy must still start (init-addr none).
    options = (
        FrontOptions(bind="127.0.0.1:18080,127.0.0.1:18081", resolver="127.0.0.11:53")
        if status_page_url
        else None
    )
    config = write_bundle(tmp_path, LEGS, status_page_url=status_page_url, options=options)
    result = subprocess.run(["haproxy", "-c", "-f", str(config)], capture_output=True, text=True, timeout=30)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "Configuration file is valid" in result.stdout + result.stderr
