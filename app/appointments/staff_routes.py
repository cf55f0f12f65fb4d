"""The klantmanager's appointment pages, nested in the back office (filled in by the staff helper)."""
