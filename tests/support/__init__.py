"""Fakes, drivers, identities and helpers shared by the tests, bench/ and drills/.

conftest.py files hold fixtures only; whatever else a test, a benchmark or a drill shares
lives here, in one module per concept, so nothing needs to import a conftest or a test module.
"""
