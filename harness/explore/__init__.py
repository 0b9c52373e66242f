"""`outage explore`: generated fault schedules against one architecture, and any failure shrunk.

space.py says what the nemesis may draw from (a scenario's ``explore:`` section, or a
default from its topology); schedules.py draws seeded schedules of faults; shrink.py
minimises a failing schedule by delta debugging, each candidate rerun on the same stack;
explorer.py drives it all on one stack, reset between schedules, and writes what it found.
"""
