"""VK communities: Callback API events posted to /hooks/vk/{group_id}.

Nothing to set up or tear down: VK pushes every event to us, the adapter is pure, and the
HTTP glue in intake/http/vk_hook.py stores accepted events in the inbox before answering `ok`.
"""
