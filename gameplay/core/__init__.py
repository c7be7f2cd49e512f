"""The core of the game every other part stands on: the tables, the Changes value the engine
returns, a challenge's life on the clock, its audience and participants, the standings kept on
every ledger entry, and who may see or act for whom (access)."""
