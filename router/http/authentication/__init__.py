"""Authentication at the HTTP stage.

JWT validation against JWKS keys; the claims go into the request context.
"""
