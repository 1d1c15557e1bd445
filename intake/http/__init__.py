"""The aiohttp application: routes, middlewares and lifecycle."""
