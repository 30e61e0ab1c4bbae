"""Text scaling: Wordscores (Laver, Benoit & Garry 2003) and Wordfish (Slapin & Proksch 2008).

Both take a document-term count matrix (rows = documents or groups of them, such
as years or speakers) and return tidy DataFrames keyed by the row labels.
"""


from analysis.scaling.wordscores import Wordscores, stat_wordscores

__all__ = ["Wordscores", "stat_wordscores"]
