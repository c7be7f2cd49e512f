"""What managers do with a challenge: build it from a template, preview it, launch and cancel
it, watch participation, finalise it with its prizes, and keep the rewards catalogue."""
