"""Golden ABI transcripts: scripts run through the real session on built-in machines."""
