"""Sending notifications with apprise (Slack, e-mail, webhooks and the many services apprise
knows), loaded only when a message is sent. `send_with_apprise` is the sender the server's
NotificationService uses."""

from __future__ import annotations

from legato.core.notifications import mask_url
from legato.errors import BackendUnavailable, ConfigError


def send_with_apprise(url: str, title: str, body: str) -> None:
    """Deliver one message to one apprise URL; raise when apprise refuses the URL or the
    service did not accept the message."""
    # Loaded on first send: apprise registers its many plugins at import time.
    import apprise

    notifier = apprise.Apprise()
    if not notifier.add(url):
        raise ConfigError(
            f"apprise does not understand the notification URL {mask_url(url)}; check it "
            "against https://github.com/caronc/apprise/wiki.")
    if not notifier.notify(title=title, body=body):
        raise BackendUnavailable(f"the service behind {mask_url(url)} did not accept the message.")
