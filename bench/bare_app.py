"""The yardstick: a bare Starlette + uvicorn JSON endpoint doing the least possible."""
import sys
import uuid

import uvicorn
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route


async def create(request: Request) -> JSONResponse:
    body = await request.json()
    if "action" not in body:
        return JSONResponse({"error": "action required"}, status_code=400)
    return JSONResponse({"id": str(uuid.uuid4()), "status": "queued"}, status_code=202)


app = Starlette(routes=[Route("/tasks", create, methods=["POST"])])

if __name__ == "__main__":
    uvicorn.run(app, host="127.0.0.1", port=int(sys.argv[1]), log_level="warning")
