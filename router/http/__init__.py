"""Stage 1, HTTP.

Read the request (Accept, Content-Type, CSRF, body size, JSON shape, batches), authenticate
(JWT), rate-limit, answer in the framing the client asked for (JSON, SSE, multipart,
WebSocket).
"""
