"""The service shell: HTTP app, durable inbox, worker, CLI and wiring."""
