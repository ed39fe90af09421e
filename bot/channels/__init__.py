"""Messengers. Each module turns its platform's events into `Incoming` and sends `Reply`."""
