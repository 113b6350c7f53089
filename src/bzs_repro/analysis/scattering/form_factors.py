"""X-ray atomic form factors (Waasmaier-Kirfel, DebyeCalculator's elements table)."""

from __future__ import annotations

import numpy as np


def form_factors(elements, q) -> dict[str, np.ndarray]:
    """X-ray form factors f(q) (electrons) per element, from DebyeCalculator's own table."""
    from debyecalculator.utility.generate import load_elements_info

    table = load_elements_info()
    q = np.asarray(q, dtype=np.float64)
    out = {}
    for el in elements:
        if el not in table:
            raise KeyError(f"no X-ray form factor for element {el!r}")
        p = np.asarray(table[el][:11], dtype=np.float64)
        s2 = (q / (4 * np.pi)) ** 2
        out[el] = (p[:5, None] * np.exp(-p[6:11, None] * s2[None, :])).sum(0) + p[5]
    return out
