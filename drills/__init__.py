"""Fault drills: inject what real deployments do to the bot and show that nothing is lost."""
