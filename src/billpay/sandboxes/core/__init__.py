"""Building blocks shared by every platform sandbox (see ``billpay.sandboxes``)."""

from .clock import SandboxClock
from .control import (
    ControlBackend,
    ControlError,
    ControlPlaneMixin,
    control_router,
    public_base_url,
    sandbox_base_url,
)
from .faults import (
    IN_PROCESS_SCOPE_KEY,
    WITHHELD_RESPONSE_HEADER,
    FaultInjector,
    FaultSettings,
    is_in_process,
    withhold_committed_response,
)
from .ratelimit import Limits, RateLimiter
from .requestlog import RequestLog
from .serving import BackgroundServer, bind_socket, serve_announced
from .transport import InProcessTransport

__all__ = [
    "BackgroundServer",
    "ControlBackend",
    "ControlError",
    "ControlPlaneMixin",
    "FaultInjector",
    "FaultSettings",
    "IN_PROCESS_SCOPE_KEY",
    "InProcessTransport",
    "Limits",
    "RateLimiter",
    "RequestLog",
    "SandboxClock",
    "WITHHELD_RESPONSE_HEADER",
    "bind_socket",
    "serve_announced",
    "control_router",
    "is_in_process",
    "public_base_url",
    "sandbox_base_url",
    "withhold_committed_response",
]
