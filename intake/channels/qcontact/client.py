"""A small client for QContact's REST API (`/api/v2/`): sign-in, cases since a cursor, status update.

Auth follows devise-token-auth as public integrations show it: `POST auth/sign_in` answers with headers
`access-token`, `client`, `uid`, sent back on every request (and refreshed when a response rotates them).
Used by the poller now and by outbound (`update_status`) later.
"""

from __future__ import annotations

import json
import logging
from typing import Any

import aiohttp

from intake.channels.qcontact.mapping import QContactMapping, fill
from intake.core.errors import TransientError
from intake.core.settings import QContactSettings

log = logging.getLogger(__name__)
_TOKEN_HEADERS = ("access-token", "client", "uid")


class QContactError(TransientError):
    """QContact answered with an error or something we cannot read; the text has the status and path."""


class QContactClient:
    """One QContact tenant, over a caller-owned aiohttp session."""

    def __init__(self, settings: QContactSettings, http: aiohttp.ClientSession, mapping: QContactMapping) -> None:
        if not settings.base_url:
            raise QContactError("qcontact.base_url is not configured")
        self.settings, self.http, self.mapping = settings, http, mapping
        self.base_url = settings.base_url.rstrip("/") + "/"
        self.tokens: dict[str, str] = {}
        if settings.uid and settings.access_token and settings.client:
            self.tokens = {
                "uid": settings.uid,
                "access-token": settings.access_token.get_secret_value(),
                "client": settings.client.get_secret_value(),
            }

    async def sign_in(self) -> None:
        """Exchange email and password for devise tokens (kept on the client, never logged)."""
        if not self.settings.email or not self.settings.password:
            raise QContactError("QContact sign-in needs qcontact.email and qcontact.password")
        body = {"email": self.settings.email, "password": self.settings.password.get_secret_value()}
        async with self.http.post(
            self.base_url + self.mapping.api.sign_in_path, json=body, timeout=self._timeout()
        ) as response:
            if response.status != 200:
                raise QContactError(f"sign-in refused: HTTP {response.status}")
            tokens = {name: response.headers.get(name) for name in _TOKEN_HEADERS}
        if not all(tokens.values()):
            raise QContactError("sign-in answer lacks access-token/client/uid headers")
        self.tokens = tokens

    async def list_cases(self, since: str | None, page: int = 1) -> list[dict]:
        """One page of cases changed at or after `since` (all cases when None), asking for oldest first
        (`api.sort_params`); callers must not assume the answer honours it."""
        api = self.mapping.api
        params = {**api.sort_params, api.items_param: str(self.settings.page_size), api.page_param: str(page)}
        if since:
            params[api.filters_param] = api.since_filters.replace("{cursor}", json.dumps(since)[1:-1])
        data = await self._request("GET", api.cases_path, params=params)
        results = data.get(api.results) if isinstance(data, dict) else data
        if not isinstance(results, list):
            raise QContactError(f"GET {api.cases_path}: no '{api.results}' list in the answer")
        return results

    async def update_status(self, case_id: str, status: str) -> Any:
        """Set a case's status in QContact (the call comes from the mapping's `api.update_status`)."""
        call = self.mapping.api.update_status
        values = {"case_id": case_id, "status": status}
        return await self._request(call.method, fill(call.path, values), json=fill(call.body, values))

    async def _request(self, method: str, path: str, **kwargs: Any) -> Any:
        if not self.tokens and self.settings.email:
            await self.sign_in()
        for attempt in (1, 2):
            async with self.http.request(
                method, self.base_url + path, headers=self._headers(), timeout=self._timeout(), **kwargs
            ) as response:
                if response.status == 401 and attempt == 1 and self.settings.email:
                    log.info("qcontact %s %s: token refused, signing in again", method, path)
                    await self.sign_in()
                    continue
                if response.status >= 400:
                    raise QContactError(f"{method} {path}: HTTP {response.status}")
                self._refresh_tokens(response.headers)
                try:
                    return await response.json(content_type=None)
                except (ValueError, aiohttp.ContentTypeError) as exc:
                    raise QContactError(f"{method} {path}: answer is not JSON ({exc})") from None
        raise QContactError(f"{method} {path}: still unauthorised after signing in")

    def _headers(self) -> dict[str, str]:
        headers = {"Accept": "application/json", **self.tokens}
        if self.settings.api_key_header and self.settings.api_key:
            headers[self.settings.api_key_header] = self.settings.api_key.get_secret_value()
        return headers

    def _refresh_tokens(self, headers: Any) -> None:
        # devise-token-auth may rotate the access token on each request; an empty header means "keep".
        fresh = {name: headers.get(name) for name in _TOKEN_HEADERS if headers.get(name)}
        if self.tokens and fresh.get("access-token"):
            self.tokens.update(fresh)

    def _timeout(self) -> aiohttp.ClientTimeout:
        return aiohttp.ClientTimeout(total=self.settings.request_timeout_seconds)
