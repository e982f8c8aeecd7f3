"""HTTP serving: the request pipeline and its Starlette endpoints."""
