"""The monitor: cohort KPIs against the policy targets, and lead times from DUO's notice to the PIP."""
