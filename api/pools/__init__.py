"""The customer pool (公海): pools and their rules, claims, releases, locks and transfers."""
