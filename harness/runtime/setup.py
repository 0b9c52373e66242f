"""`python -m harness.runtime.setup`: the engine and the images, with a line per step."""

from __future__ import annotations

import argparse
import sys
import time

from rich.console import Console

from harness.errors import HarnessError
from harness.runtime.engine import ensure_engine
from harness.runtime.images import ImageSet, cache_dir, choose_profile, ensure_images

console = Console(stderr=True, highlight=False, soft_wrap=True)


def say(message: str) -> None:
    console.print(f"[bold cyan]setup[/] {message}")


def prepare(profile: str | None = None) -> ImageSet:
    """Engine up, profile chosen, images present: what every run needs first."""
    # dockerd's log, when set-up starts the engine, goes beside the other cached files.
    client = ensure_engine(say, cache_dir())
    chosen = choose_profile(client, profile, say)
    say(f"image profile: {chosen.value}")
    images = ensure_images(client, chosen, say)
    say(f"images ready: node={images.node} toxiproxy={images.toxiproxy} proxy={images.proxy}")
    say(f"database tier: {images.database_tier}")
    return images


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m harness.runtime.setup")
    parser.add_argument("--profile", choices=["upstream", "local"], default=None)
    args = parser.parse_args(argv)
    started = time.monotonic()
    try:
        prepare(args.profile)
    except HarnessError as err:
        console.print(f"[bold red]setup failed:[/] {err}")
        return 2
    say(f"done in {time.monotonic() - started:.1f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
