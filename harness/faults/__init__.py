"""Named faults (Jepsen's nemesis), built on the fabric and the stack."""

from harness.faults.apply import AppliedFault, apply_fault

__all__ = ["AppliedFault", "apply_fault"]
