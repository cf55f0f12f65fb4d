"""Placeholder: filled in by its helper."""
