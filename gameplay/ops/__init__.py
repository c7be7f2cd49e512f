"""Maintenance over the whole game: rebuilding from raw events, and checking or restoring the
materialised standings from the ledger."""
