"""What the tests, bench/ and drills/ share: fakes, drivers, identities (fixtures: conftest)."""
