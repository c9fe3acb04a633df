"""/api/v1/clock: read the engine's time; advance it (simulated clock only)."""
from __future__ import annotations

from flask.views import MethodView
from flask_smorest import Blueprint
from marshmallow import Schema, fields

from engine.clock import STOCKHOLM
from engine.clock_store import add_duration
from engine.errors import ClockError, Conflict, InvalidData
from engine.simulation import advance_clock
from web import database
from web.api import token_required
from web.api.schemas import ErrorOut

blp = Blueprint("clock", __name__, url_prefix="/api/v1/clock", description="Motorns klocka")


class AdvanceIn(Schema):
    duration = fields.String(required=True, metadata={"description": "ISO 8601, t.ex. P3M, P10D, PT5H"})


class ClockOut(Schema):
    now = fields.String(required=True)
    simulated = fields.Boolean(required=True)


class AdvanceOut(ClockOut):
    fired = fields.Integer(required=True)
    failed = fields.Integer(required=True)


@blp.route("")
class ClockResource(MethodView):
    @token_required()
    @blp.response(200, ClockOut)
    def get(self):
        """The engine's current time (Europe/Stockholm)."""
        clock = database.clock()
        return {"now": clock.now().astimezone(STOCKHOLM).isoformat(), "simulated": hasattr(clock, "set")}


@blp.route("/advance")
class AdvanceResource(MethodView):
    @token_required("admin")
    @blp.arguments(AdvanceIn)
    @blp.response(200, AdvanceOut)
    @blp.alt_response(409, schema=ErrorOut, description="The clock is real")
    def post(self, body):
        """Move the simulated clock forward, firing every timer that falls due on the way, in order."""
        clock = database.clock()
        if not hasattr(clock, "set"):
            raise Conflict("Klockan är verklig (KOMPIS_CLOCK=real); bara en simulerad klocka kan flyttas.")
        try:
            add_duration(clock.now(), body["duration"])  # a bad or out-of-range duration moves nothing
        except ClockError as exc:
            raise InvalidData(exc.message, {"duration": [exc.message]}) from None
        except (ValueError, OverflowError):  # past year 9999, or more digits than Python will read
            message = "Varaktigheten är för lång."
            raise InvalidData(message, {"duration": [message]}) from None
        report = advance_clock(database.sessions(), clock, body["duration"])
        return {"now": report.end.astimezone(STOCKHOLM).isoformat(), "simulated": True,
                "fired": report.fired, "failed": report.failed}
