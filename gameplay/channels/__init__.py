"""Where the game's news goes out beyond its own pages.

Team chat channels (Slack, Microsoft Teams), reps' phones (Web Push) and the wall screen's
playlist and moments: each reads what changed, writes its deliveries in the news's transaction
and draws the message as its service shows it.
"""
