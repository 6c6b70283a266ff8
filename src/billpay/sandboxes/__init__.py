"""Local servers that speak each accounting platform's API.

A sandbox is what the embedded demo, the test suites and users' own trials
connect to instead of a real platform account. Each platform lives in its own
package with the same shape (moto style):

``models.py``
    the platform state with no HTTP in it (companies, OAuth clients and tokens,
    entities, change log, fault settings); thread-safe.
``errors.py``
    vendor-exact error bodies, so the platform's own client libraries parse
    them exactly as they parse the real service's.
``routes/``
    a FastAPI app that parses requests, calls the state and renders the
    platform's wire format.
``server.py``
    ``run(host, port)`` serves one seeded company and prints the connection
    details as one JSON line.

``billpay.sandboxes.core`` holds what every platform sandbox reuses: the
control plane under ``/_sandbox/``, fault injection (latency, 5xx, 429,
timeout after commit), the request log, rate limiting, the adjustable clock,
JSON persistence and an in-process ``httpx`` transport.

Production code never imports sandboxes.
"""
