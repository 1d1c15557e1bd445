"""Why an outgoing message is not (yet) sent, in the manager's words (Russian).

The stored error stays as the platform put it (the API's `error`); each channel's sender
spec names the refusals it knows (`SenderSpec.explain`), and what no channel has words for
gets a general sentence by the message's state.
"""

from __future__ import annotations

from collections.abc import Sequence

from channels.registry import CHANNELS
from channels.spec import ChannelSpec
from crm_core.replies_model import OutgoingState

# A refusal the channel has no words for: the platform's own text is in `error`.
REFUSED = "Платформа не приняла сообщение"
# A failure that may pass: the dispatcher tries again by itself.
RETRYING = "Платформа временно недоступна: отправка повторится автоматически"


def explain_error(
    channel: str,
    state: OutgoingState,
    error: str | None,
    channels: Sequence[ChannelSpec] = CHANNELS,
) -> str | None:
    """The manager's words for a message's last error; None when there is nothing to
    report (no error, or the message was sent after all)."""
    if error is None or state is OutgoingState.SENT:
        return None
    spec = next((c for c in channels if c.name == channel), None)
    explain = spec.sender.explain if spec is not None and spec.sender is not None else None
    words = explain(error) if explain is not None else None
    if words is not None:
        return words
    return REFUSED if state is OutgoingState.FAILED else RETRYING
