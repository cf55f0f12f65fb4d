"""The klantbeleving dashboard: marks against the target, by segment, with small cells hidden."""
