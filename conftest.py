"""Collects scenarios/*.yaml as pytest items, one per architecture (harness.pytest_plugin)."""

pytest_plugins = ["harness.pytest_plugin"]
