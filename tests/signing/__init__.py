"""signing tests."""
