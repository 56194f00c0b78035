"""The console adapter: the whole bot in a terminal, no platform token needed."""
