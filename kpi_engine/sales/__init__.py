"""The sales mirror: deals and activities folded from append-only raw events, their idempotent
ingest, and reading them as pandas DataFrames for a scope and period."""
