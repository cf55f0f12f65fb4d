"""Back-office routes (being written)."""
