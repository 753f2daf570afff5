"""The company's knowledge base: markdown docs cut into passages, embedded, searched by hybrid.

``passages`` cuts documents, ``embeddings`` turns text into vectors (the model loads on first
use, never at import), ``ingest`` fills the database; the SQL is in ``shared.db.knowledge_base``.
"""
