"""Helpers shared by the tests (references, strategies, planted defects, paths); no tests here."""
