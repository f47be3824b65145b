"""History: what changed in customers, contacts and deals, and a customer's timeline."""
