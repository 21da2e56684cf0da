"""Test and benchmark utilities that ship with the package (no network, no model weights)."""
