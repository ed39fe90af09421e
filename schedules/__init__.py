"""The clock: reminder planning, the outbox and its rate-limited dispatcher, and what drives them."""
