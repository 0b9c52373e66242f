"""Our runner for MongoDB's unified-format specification tests, pointed at the emulator."""
