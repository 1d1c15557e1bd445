"""Yandex SmartCaptcha on website forms: the `smart-token` field checked with the server key.

When the captcha service cannot answer (timeout, network error, an HTTP status other than
200, a body that is not its JSON), the submission is accepted and flagged
(`meta.captcha = "unverified"` with the reason on the lead): losing a real client's request
costs more than letting one bot through, and Yandex's own guidance is to let the user pass
when validation is unavailable. A definite `"status": "failed"` is refused.
"""

from __future__ import annotations

import time
from collections import OrderedDict
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, replace
from enum import StrEnum

import aiohttp
from aiohttp import web

from channels.webform.spec import AcceptedSubmission
from config import FormSettings, Settings
from intake.http.client_ip import TrustedProxies, request_client_ip
from intake.http.errors import error_response
from intake.http.keys import SERVICES

TOKEN_FIELD = "smart-token"  # noqa: S105 - a form field name
# A token is valid for 5 minutes and can be validated once: remember the ones that passed, so
# a browser's retry of the same submission is not refused as a replay.
PASSED_TTL_SECONDS = 300.0
PASSED_MAX = 10_000


class Verdict(StrEnum):
    """What the captcha service said about a token."""

    PASSED = "passed"
    FAILED = "failed"
    UNVERIFIED = "unverified"


@dataclass(frozen=True, slots=True)
class CaptchaResult:
    """The verdict and, unless passed, why."""

    verdict: Verdict
    reason: str = ""


class SmartCaptcha:
    """Validates tokens against the SmartCaptcha service (`[smartcaptcha] url`)."""

    def __init__(self, settings: Settings, clock: Callable[[], float] = time.monotonic) -> None:
        self._url = settings.smartcaptcha.url
        self._timeout = aiohttp.ClientTimeout(total=settings.smartcaptcha.timeout_seconds)
        self._proxies = TrustedProxies(settings.http.trusted_proxies)
        self._session: aiohttp.ClientSession | None = None
        self._passed: OrderedDict[str, float] = OrderedDict()
        self._clock = clock

    async def close(self) -> None:
        """Close the HTTP session, if one was opened."""
        if self._session is not None:
            await self._session.close()
            self._session = None

    async def verify(self, secret: str, token: str, ip: str) -> CaptchaResult:
        """Ask the service about one token (POST secret, token, ip; `{"status": "ok"}`)."""
        now = self._clock()
        while self._passed and next(iter(self._passed.values())) <= now:
            self._passed.popitem(last=False)
        if token in self._passed:
            return CaptchaResult(Verdict.PASSED)
        if self._session is None:
            self._session = aiohttp.ClientSession(timeout=self._timeout)
        form = {"secret": secret, "token": token, "ip": ip}
        try:
            async with self._session.post(self._url, data=form) as response:
                if response.status != 200:
                    return CaptchaResult(Verdict.UNVERIFIED, f"http_{response.status}")
                answer = await response.json(content_type=None)
        except TimeoutError:
            return CaptchaResult(Verdict.UNVERIFIED, "timeout")
        except aiohttp.ClientError as err:
            return CaptchaResult(Verdict.UNVERIFIED, type(err).__name__)
        except ValueError:
            return CaptchaResult(Verdict.UNVERIFIED, "malformed_answer")
        status = answer.get("status") if isinstance(answer, dict) else None
        if status == "ok":
            self._passed[token] = now + PASSED_TTL_SECONDS
            if len(self._passed) > PASSED_MAX:
                self._passed.popitem(last=False)
            return CaptchaResult(Verdict.PASSED)
        if status == "failed":
            message = answer.get("message") if isinstance(answer, dict) else None
            return CaptchaResult(Verdict.FAILED, str(message or "failed"))
        return CaptchaResult(Verdict.UNVERIFIED, "malformed_answer")

    async def check(
        self, request: web.Request, form: FormSettings, outcome: AcceptedSubmission
    ) -> AcceptedSubmission | web.Response:
        """The submission without its token and with the verdict in its meta, or the 4xx."""
        secret = form.abuse.smartcaptcha_key
        if not form.abuse.smartcaptcha or secret is None:
            return outcome
        metrics = request.app[SERVICES].metrics
        token = next((v.strip() for v in outcome.payload.get(TOKEN_FIELD, []) if v.strip()), "")
        if not token:
            metrics.intake_requests.labels("webform", "captcha_failed").inc()
            return error_response(
                400, "missing_field", "the form requires a SmartCaptcha token", field=TOKEN_FIELD
            )
        result = await self.verify(secret, token, request_client_ip(request, self._proxies))
        if result.verdict is Verdict.FAILED:
            metrics.intake_requests.labels("webform", "captcha_failed").inc()
            return error_response(
                403,
                "captcha_failed",
                f"SmartCaptcha did not confirm the token: {result.reason}",
                field=TOKEN_FIELD,
            )
        if result.verdict is Verdict.UNVERIFIED:
            metrics.errors.labels("captcha_unavailable").inc()
        return _without_token(outcome, result)


def _without_token(outcome: AcceptedSubmission, result: CaptchaResult) -> AcceptedSubmission:
    # The one-time token is no lead data: it is neither stored nor shown to managers.
    meta = {**outcome.event.meta, "captcha": result.verdict.value}
    if result.reason:
        meta["captcha_reason"] = result.reason
    fields = {k: v for k, v in outcome.event.fields.items() if k != TOKEN_FIELD}
    payload = {k: v for k, v in outcome.payload.items() if k != TOKEN_FIELD}
    return replace(
        outcome, event=replace(outcome.event, meta=meta, fields=fields), payload=payload
    )


SMARTCAPTCHA = web.AppKey("smartcaptcha", SmartCaptcha)


async def smartcaptcha_ctx(app: web.Application) -> AsyncIterator[None]:
    """The captcha client lives as long as the app; its HTTP session opens on first use."""
    app[SMARTCAPTCHA] = SmartCaptcha(app[SERVICES].settings)
    yield
    await app[SMARTCAPTCHA].close()
