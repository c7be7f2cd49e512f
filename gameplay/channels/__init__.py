"""Team chat channels (Slack, Microsoft Teams): which news each wants, the outbox written in the
news's transaction, and the messages as each service draws them."""
