"""Comments and their moderation."""
