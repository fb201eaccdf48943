async def authenticate(ctx):
    raise NotImplementedError
