"""Every channel of the service, one line each: the app's routes, the config's channel
sections, the OpenAPI document and the background pollers are built from this list."""

from __future__ import annotations

from channels.avito import spec as avito
from channels.email import spec as email
from channels.spec import ChannelSpec
from channels.telegram import spec as telegram
from channels.telephony import spec as telephony
from channels.vk import spec as vk
from channels.webform import spec as webform

CHANNELS: tuple[ChannelSpec, ...] = (
    webform.SPEC,
    telegram.SPEC,
    vk.SPEC,
    email.SPEC,
    telephony.SPEC,
    avito.SPEC,
)


def identity_kinds() -> frozenset[str]:
    """Every `PersonDetails.messenger_ids` key some channel produces (for dedupe)."""
    return frozenset(kind for spec in CHANNELS for kind in spec.identity_kinds)
