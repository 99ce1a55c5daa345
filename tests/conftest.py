"""Shared pytest set-up: fixtures that start real servers live in tests/fixtures/."""

pytest_plugins = ["tests.fixtures.knot", "tests.fixtures.kea", "tests.fixtures.writers"]
