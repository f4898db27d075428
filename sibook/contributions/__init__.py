"""Contributions: participation periods (SI, UI), declarations, the ledger and payments."""
