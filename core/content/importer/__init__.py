"""`python -m core.content`: turn an article, a page or a feed into a content pack, and check one.

An operator's tool, never loaded by the running bot: its libraries (trafilatura, feedparser,
pysbd, tomlkit, httpx) are imported here only.
"""
