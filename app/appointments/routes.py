"""The newcomer's pages: my route, my appointments, calendar files (filled in by the route helper)."""
