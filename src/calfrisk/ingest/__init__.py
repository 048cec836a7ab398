"""Real cohorts: runners' own files and injury records, or a public data set, as a cohort folder.

The flow: runner folders read by :mod:`calfrisk.readers` (:mod:`~calfrisk.ingest.runners`), or the
public Lövdal et al. (2021) "day approach" file (:mod:`~calfrisk.ingest.lovdal`), plus the
researcher's injury, athlete and shoe records (:mod:`~calfrisk.ingest.records`) -> an
:class:`~calfrisk.ingest.cohort.ImportedCohort` (the tables ``calfrisk simulate`` writes, without
the truth, and a manifest) -> a cohort folder (:func:`~calfrisk.ingest.cohort.write_cohort`) that
``calfrisk train`` and ``calfrisk evaluate`` read like a simulated one.
"""

from calfrisk._lazy import lazy_exports

#: Public name -> the module that defines it, imported on first use.
_EXPORTS = {
    "IMPORTED_TABLES": "cohort",
    "ImportedCohort": "cohort",
    "write_cohort": "cohort",
    "read_athletes": "records",
    "read_injuries": "records",
    "read_shoes": "records",
    "find_runners": "runners",
    "import_runners": "runners",
    "pseudonyms": "runners",
    "read_lovdal": "lovdal",
}

__all__ = sorted(_EXPORTS)
__getattr__, __dir__ = lazy_exports(__name__, _EXPORTS)
