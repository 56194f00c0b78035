"""Chat platform adapters around the shared core."""
