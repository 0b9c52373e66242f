"""Operator actions as a run plays them: action.start, then action.end with the error or output."""

from __future__ import annotations

from typing import Any

from harness.actions import ActionContext, run_action
from harness.actions.custom import CustomAction
from harness.actions.exec import parse_output
from harness.actions.move_floating_ip import MoveFloatingIp
from harness.events import ACTION_END, ACTION_START
from harness.history import History


def context(history: History, blocked: set[str] | None = None) -> ActionContext:
    # No stack: these actions never reach one.
    return ActionContext(None, history, load_addresses=lambda load: [f"addresses of {load}"],  # type: ignore[arg-type]
                         blocked_actions=blocked or set())


def operator_says(ctx: ActionContext, greeting: str) -> dict[str, Any]:
    return {"greeting": greeting, "flood": ctx.load_addresses("flood")}


def operator_fails(ctx: ActionContext) -> None:
    raise RuntimeError("the console timed out")


def test_an_action_a_maintenance_block_refuses_ends_with_the_providers_refusal() -> None:
    history = History()
    run_action(MoveFloatingIp(kind="move-floating-ip", to="proxy-2"), "move", context(history, {"move"}))
    (start,), (end,) = history.events(ACTION_START, "move"), history.events(ACTION_END, "move")
    assert start.data == {"action": "move-floating-ip"}
    assert not end.ok
    assert end.data["error"] == "a maintenance block is in force: the provider refuses the change"


def test_a_custom_action_is_called_with_the_context_and_its_output_kept() -> None:
    history = History()
    action = CustomAction(kind="custom", use=f"{__name__}:operator_says", args={"greeting": "hi"})
    run_action(action, "say", context(history))
    (end,) = history.events(ACTION_END, "say")
    assert end.ok and end.data["error"] is None
    assert end.data["output"] == {"greeting": "hi", "flood": ["addresses of flood"]}
    assert end.latency_ms is not None


def test_an_action_that_raises_is_recorded_as_failed_not_a_crash() -> None:
    history = History()
    run_action(CustomAction(kind="custom", use=f"{__name__}:operator_fails"), "fail", context(history))
    (end,) = history.events(ACTION_END, "fail")
    assert not end.ok
    assert end.data["error"] == "RuntimeError: the console timed out"


def test_exec_output_that_is_json_becomes_data_and_other_output_text() -> None:
    assert parse_output('{"ids": [1, 2]}\n') == {"ids": [1, 2]}
    assert parse_output("  done  \n") == "done"
