"""The voortgangsrapportage: seed 003's tables per municipality and for the region (docs/reports.md)."""
