"""The network between hosting providers: one Toxiproxy proxy per directed link."""

from harness.fabric.fabric import CutMode, Fabric, Link

__all__ = ["CutMode", "Fabric", "Link"]
