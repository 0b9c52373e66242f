"""Client-side observers: each watches one thing and writes events to the history."""
