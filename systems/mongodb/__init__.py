"""MongoDB replica sets: members and arbiters as roles, initiated as MongoDB's are.

Both tiers are configured the same way: members start uninitialised and
advertise their stack names; the set-up sends `replSetInitiate` with a
configuration derived from the topology (members, arbiters, priorities,
election timings) to one member. Real tier: `mongod` from the mongo:7.0 image.
Emulated tier: fixtures/mongoemu, which says so in buildInfo; the run's
journal says which one ran.
"""

from systems.mongodb import charts, primary_outside, probe, roles

__all__ = ["charts", "primary_outside", "probe", "roles"]
