"""Running gazertc on several machines: a throwaway PostgreSQL for tests and local clusters
(``postgres_local``), the nodes' registry in the shared database (``registry``)."""
