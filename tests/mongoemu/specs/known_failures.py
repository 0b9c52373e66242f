"""Every specification test the emulator still fails, with the reason: the one list.

Keys are "FOLDER/FILE::test description" (fnmatch patterns). The emulator
answers each of these with an error naming itself ("... is not supported by the
emulator"), never with a silently different result; tests our runner cannot
judge say so too.
"""

KNOWN_FAILURES: dict[str, str] = {}
