"""The relay and the platform port it delivers through (see core.relay.port)."""
