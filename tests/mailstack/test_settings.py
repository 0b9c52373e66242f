"""Configuration: every variable parsed, every mistake named, exit status 2."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from fixtures.mailstack.settings import ApiSettings, Architecture, SettingsError, SmtpSettings

from .procs import REPO


def test_smtp_defaults_are_as_fixed_with_a_fast_database_poll() -> None:
    settings = SmtpSettings.from_env({})
    assert settings.arch is Architecture.AS_FIXED
    assert settings.port == 2525 and settings.metrics_port == 12525
    assert settings.blocklist_poll_interval_s == 0.5
    assert settings.db.timeout_s == 1.5
    assert settings.api_base_url is None


def test_as_was_polls_the_api_every_five_seconds() -> None:
    settings = SmtpSettings.from_env({"ARCH": "as-was", "API_BASE_URL": "http://proxy:8080/", "API_KEY": "k"})
    assert settings.blocklist_poll_interval_s == 5.0
    assert settings.api_base_url == "http://proxy:8080"


def test_every_problem_is_reported_at_once() -> None:
    with pytest.raises(SettingsError) as raised:
        SmtpSettings.from_env(
            {
                "ARCH": "as-was",
                "SMTP_PORT": "smtp",
                "MAIL_DOMAINS": "not a domain",
                "DB_TIMEOUT_MS": "-1",
                "MONGO_URI": "postgres://x",
                "SMTP_SERVER_NAME": "smtp 1\r\n",
            }
        )
    message = str(raised.value)
    names = (
        "SMTP_PORT",
        "MAIL_DOMAINS",
        "DB_TIMEOUT_MS",
        "MONGO_URI",
        "SMTP_SERVER_NAME",
        "API_BASE_URL",
        "API_KEY",
    )
    for name in names:
        assert name in message


def test_unknown_architecture_names_the_choices() -> None:
    with pytest.raises(SettingsError, match="ARCH must be one of as-was, as-fixed"):
        ApiSettings.from_env({"ARCH": "as-is", "API_KEY": "k"})


def test_api_needs_a_key() -> None:
    with pytest.raises(SettingsError, match="API_KEY is required"):
        ApiSettings.from_env({})


def test_api_reconnect_budget_defaults_to_the_2018_driver() -> None:
    settings = ApiSettings.from_env({"API_KEY": "k", "ARCH": "as-was"})
    assert (settings.reconnect_tries, settings.reconnect_interval_s) == (30, 1.0)


def _run(module: str, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    clean = {k: v for k, v in os.environ.items() if not k.startswith(("SMTP_", "API_", "ARCH", "MONGO"))}
    return subprocess.run(
        [sys.executable, "-m", module],
        cwd=REPO,
        env={**clean, **env},
        capture_output=True,
        text=True,
        timeout=30,
    )


@pytest.mark.parametrize(
    ("module", "env", "named"),
    [
        ("fixtures.mailstack.smtp_server", {"ARCH": "as-was", "SMTP_PORT": "abc"}, "API_BASE_URL"),
        ("fixtures.mailstack.api", {"DRIVER_RECONNECT_TRIES": "many"}, "API_KEY"),
    ],
)
def test_bad_configuration_exits_2_with_a_clear_message(module: str, env: dict[str, str], named: str) -> None:
    result = _run(module, env)
    assert result.returncode == 2, result.stderr
    assert named in result.stderr
    assert "Traceback" not in result.stderr


def test_unusable_spool_directory_exits_2(tmp_path: Path) -> None:
    not_a_directory = tmp_path / "file"
    not_a_directory.write_text("")
    result = _run(
        "fixtures.mailstack.smtp_server",
        {
            "SPOOL_DIR": str(not_a_directory),
            "SMTP_HOST": "127.0.0.1",
        },
    )
    assert result.returncode == 2, result.stderr
    assert "SPOOL_DIR" in result.stderr
