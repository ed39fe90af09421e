"""What the bot says and does: platform-free conversations over `Incoming` and `Reply`."""
