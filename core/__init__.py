"""The shared core of the newsroom bot: content, FAQ, moderated comments, the store, commands.

Nothing here knows about Telegram, Discord or any adapter; adapters call the core and render
what it returns.
"""
