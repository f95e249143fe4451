"""A local stand-in for a QContact tenant's `/api/v2/`, speaking the shape public integrations show.

devise-token-auth sign-in (tokens in response headers, checked on every request), `GET entities/Case`
with `items`, `page`, `sort` / `sort_direction` and a JSON `filters` list, `PATCH entities/Case/<id>`.
Everything it was asked is recorded.
"""

from __future__ import annotations

import json
import secrets

from aiohttp import web

EMAIL, PASSWORD = "intake@harbor.example", "correct horse"
PROBLEMS = [
    "Kitchen sink leaking under the cabinet",
    "No heat in the bedroom since last night",
    "Front door lock is jammed",
    "Mice in the pantry",
    "Bathroom fan stopped working",
    "Water stain spreading on the ceiling",
    "Oven does not heat up",
]


def case(n: int) -> dict:
    """Case number `n` as QContact lists it: one of a few problems, updated at 08:nn."""
    return {
        "id": 48200 + n,
        "case_number": f"FT{48200 + n:07d}",
        "subject": PROBLEMS[n % len(PROBLEMS)],
        "description": f"{PROBLEMS[n % len(PROBLEMS)]}. Unit 101, Harbor View.",
        "status": "open",
        "created_at": f"2026-11-20T08:{n:02d}:00Z",
        "updated_at": f"2026-11-20T08:{n:02d}:00Z",
        "contact": {"id": 9900 + n, "first_name": "Maria", "last_name": "Lopez", "phone_number": "+15550100101"},
    }


class QContactStandIn:
    def __init__(self) -> None:
        self.cases: list[dict] = []
        self.tokens: set[str] = set()
        self.requests: list[tuple[str, str, dict]] = []
        self.sign_ins = 0
        self.honours_sort = True  # False: answers in storage order whatever is asked, like an API without sorting

    def app(self) -> web.Application:
        app = web.Application()
        app.router.add_post("/api/v2/auth/sign_in", self.sign_in)
        app.router.add_get("/api/v2/entities/Case", self.list_cases)
        app.router.add_patch("/api/v2/entities/Case/{case_id}", self.update_case)
        return app

    def expire_tokens(self) -> None:
        self.tokens.clear()

    async def sign_in(self, request: web.Request) -> web.Response:
        body = await request.json()
        if body != {"email": EMAIL, "password": PASSWORD}:
            return web.json_response({"errors": ["Invalid login credentials"]}, status=401)
        self.sign_ins += 1
        token = secrets.token_hex(8)
        self.tokens.add(token)
        headers = {"access-token": token, "client": "standin-client", "uid": EMAIL}
        return web.json_response({"data": {"email": EMAIL}}, headers=headers)

    def _authorised(self, request: web.Request) -> bool:
        return (
            request.headers.get("access-token") in self.tokens
            and request.headers.get("uid") == EMAIL
            and request.headers.get("client") == "standin-client"
        )

    async def list_cases(self, request: web.Request) -> web.Response:
        self.requests.append(("GET", request.path, dict(request.query)))
        if not self._authorised(request):
            return web.json_response({"errors": ["You need to sign in"]}, status=401)
        selected = list(self.cases)
        sort = request.query.get("sort")
        if self.honours_sort and sort:
            selected.sort(
                key=lambda c: (c.get(sort) or "", c.get("id", 0)), reverse=request.query.get("sort_direction") == "desc"
            )
        for group in json.loads(request.query.get("filters", "[]")):
            for condition in group["conditions"]:
                if condition.get("operator") == "gte":
                    selected = [c for c in selected if c[condition["name"]] >= condition["value"]]
        items, page = int(request.query.get("items", 25)), int(request.query.get("page", 1))
        return web.json_response({"results": selected[(page - 1) * items : page * items]})

    async def update_case(self, request: web.Request) -> web.Response:
        self.requests.append(("PATCH", request.path, await request.json()))
        if not self._authorised(request):
            return web.json_response({"errors": ["You need to sign in"]}, status=401)
        case = next((c for c in self.cases if str(c["id"]) == request.match_info["case_id"]), None)
        if case is None:
            return web.json_response({"errors": ["Not found"]}, status=404)
        case.update(await request.json())
        return web.json_response(case)
