"""The demo organisation's challenges and the story it has already been through."""
