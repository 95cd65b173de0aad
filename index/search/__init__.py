"""Search: candidates, ranking, the answer-or-decline decision and filters, tuned by one `Tuning` value."""

from index.search.searcher import Searcher
from index.search.tuning import Tuning

__all__ = ["Searcher", "Tuning"]
