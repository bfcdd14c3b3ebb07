"""Test plumbing shared by every test directory in the repo."""
