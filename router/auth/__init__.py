"""JWT authentication (JWKS) and @authenticated / @requiresScopes authorization."""
