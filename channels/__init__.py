"""Channel adapters: verify a sender, parse its wire format, yield channel-neutral events."""
