"""bzs-repro: reproduce Pasca et al., J. Mater. Chem. A 2025.

Amorphous and polycrystalline BaZrS3.
"""

from importlib.metadata import PackageNotFoundError, version

try:
    __version__ = version("bzs-repro")
except PackageNotFoundError:  # running from a source tree that is not installed
    __version__ = "0+unknown"

PAPER_DOI = "10.1039/d5ta04536c"
