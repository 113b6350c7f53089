"""[001] tilt grain-boundary bicrystals of Pnma BaZrS3 (the paper's Fig. 3a/b conventions).

Frame (as in the authors' published GB cells): the tilt axis is the Pnma long axis b
(Pbnm [001]) along z; the rotation acts in the nearly square a-c plane (Pbnm a-b plane);
the boundary plane is x-z and its normal is y; the cell holds two identical boundaries
(at y = 0 and y = H1), periodic in 3-D.

Construction (symmetric tilt, exact): grain 1 is the crystal rotated so that the in-plane
lattice vector u = i a + j c lies along +x; grain 2 so that u' = i a - j c lies along +x.
|u| = |u'| in a rectangular lattice, so the common period along x is L = |u| with zero
strain, and each grain's slab [0, L) x [0, H) with H = k a c / L is a fundamental domain
of its lattice: it holds exactly k conventional cells (4k formula units, stoichiometric).
The misorientation is 2 atan(j c / (i a)); ``angle_deg`` of :func:`low_angle` is the
rotation of EACH grain (the authors' low-angle cells have grains at +theta and -theta,
see the fig3 notes), so the misorientation of a "9.5 degree" boundary is 19 degrees.

CSL boundaries: the a-c lattice is rectangular with (a/c)^2 = 1.042 (paper ACE), close
to 25/24, where King & Singh's orthorhombic CSL theory gives e.g. Sigma31 for u = 2a + c.
The CSL set comes from pymatgen (GrainBoundaryGenerator.enum_sigma_ort on the nearest
rational lattice, :func:`csl_table`); :func:`sigma_of_rotation` checks each one numerically on
the real lattice: the coincident vectors of lattice and rotated lattice within a strain
tolerance (``STRAIN_TOL``), Sigma = area of their cell over the area a c of the lattice cell.

Units: Angstrom, degrees.
"""

from __future__ import annotations

import logging
import math
from dataclasses import dataclass, field
from functools import lru_cache

import numpy as np
from ase import Atoms

log = logging.getLogger(__name__)

STRAIN_TOL = 0.005  # accepted relative mismatch of near-coincident vectors (0.5 %)
LOW_ANGLES = (1.5, 2.5, 3.5, 4.5, 5.5, 7.5, 9.5)  # the paper's labels, degrees
SIGMAS = (25, 31, 35)
FORMULA = {"Ba": 1, "Zr": 1, "S": 3}


# ---------------------------------------------------------------- lattice geometry
def _tilt_frame(crystal: Atoms) -> Atoms:
    """The Pnma cell with a along x, c along y, b (the tilt axis) along z."""
    a, b, c = crystal.cell.lengths()
    if not np.allclose(crystal.cell.array, np.diag([a, b, c]), atol=1e-6):
        msg = "the crystal cell must be orthorhombic and axis-aligned (a, b, c)"
        raise ValueError(msg)
    out = crystal.copy()
    out.calc = None
    pos = crystal.positions[:, [0, 2, 1]]  # (x, y, z) = (a, c, b); centrosymmetric, so fine
    out.set_cell(np.diag([a, c, b]))
    out.positions = pos
    out.wrap()
    return out


def misorientation_deg(i: int, j: int, a: float, c: float) -> float:
    """Misorientation (degrees) of the symmetric tilt built on u = i a + j c."""
    return 2.0 * math.degrees(math.atan2(j * c, i * a))


def sigma_of_rotation(
    theta_deg: float, a: float, c: float, tol: float = STRAIN_TOL, nmax: int = 14
) -> tuple[int | None, float]:
    """Numeric (near-)CSL of the rectangular lattice (a, c) rotated by ``theta_deg``.

    A lattice vector n is coincident if R n lies within ``tol`` |n| of a lattice vector.
    Returns (Sigma, largest relative mismatch of the two basis vectors) or (None, nan) when
    fewer than two independent coincident vectors exist with |n_k| <= nmax.
    """
    t = math.radians(theta_deg)
    rot = np.array([[math.cos(t), -math.sin(t)], [math.sin(t), math.cos(t)]])
    b = np.diag([a, c])
    rng = np.arange(-nmax, nmax + 1)
    n = np.array([(p, q) for p in rng for q in rng if (p, q) != (0, 0)], dtype=float)
    x = n @ b.T
    y = x @ rot.T
    m = np.round(y @ np.linalg.inv(b).T)
    mis = np.linalg.norm(m @ b.T - y, axis=1) / np.linalg.norm(x, axis=1)
    ok = mis <= tol
    if ok.sum() < 2:
        return None, float("nan")
    cand, cmis = n[ok], mis[ok]
    lengths = np.linalg.norm(cand @ b.T, axis=1)
    order = np.argsort(lengths)
    v1 = cand[order[0]]
    for k in order[1:]:
        det = abs(v1[0] * cand[k][1] - v1[1] * cand[k][0])
        if det > 0.5:
            return round(det), float(max(cmis[order[0]], cmis[k]))
    return None, float("nan")


@dataclass(frozen=True)
class TiltChoice:
    """One symmetric [001] tilt: u = i a + j c along the boundary."""

    i: int
    j: int
    period_A: float  # L = |u|
    misorientation_deg: float  # between the two grains
    sigma: int | None  # numeric (near-)CSL Sigma at STRAIN_TOL, None if above the search
    csl_strain: float  # largest mismatch of the CSL basis vectors (relative)


def zero_angle(a: float) -> TiltChoice:
    """The 0-degree "boundary" (u = a): two grains of the same orientation, E_GBf = 0."""
    return TiltChoice(1, 0, a, 0.0, 1, 0.0)


def tilt_choices(a: float, c: float, nmax: int = 60, lmax: float = 600.0) -> list[TiltChoice]:
    """All symmetric tilts u = i a + j c (gcd(i, j) = 1, 0 < j, 0 < i, |u| <= lmax)."""
    out = []
    for i in range(1, nmax + 1):
        for j in range(1, nmax + 1):
            if math.gcd(i, j) != 1:
                continue
            length = math.hypot(i * a, j * c)
            if length <= lmax:
                th = misorientation_deg(i, j, a, c)
                out.append(TiltChoice(i, j, length, th, None, float("nan")))
    return sorted(out, key=lambda t: t.period_A)


def find_sigma(sigma: int, a: float, c: float, tol: float = STRAIN_TOL) -> TiltChoice:
    """The shortest-period symmetric tilt of CSL ``sigma`` (see :func:`csl_table`)."""
    for t in csl_table(a, c, sigma_max=max(int(sigma), 1), tol=tol):
        if t.sigma == sigma:
            return t
    msg = (
        f"no symmetric [001] tilt with Sigma{sigma} (strain tolerance {tol:g}) "
        f"for a={a:.4f}, c={c:.4f}"
    )
    raise ValueError(msg)


CSL_MAX_DENOMINATOR = 30  # (a/c)^2 = 1.0419 of the paper's ACE -> 25/24 (King & Singh)


def csl_table(a: float, c: float, sigma_max: int = 50, tol: float = STRAIN_TOL) -> list[TiltChoice]:
    """Every symmetric [001] tilt with a CSL Sigma <= ``sigma_max``, shortest period per Sigma.

    The CSL is that of the nearest rational lattice, (a/c)^2 ~ p/q (denominator <=
    CSL_MAX_DENOMINATOR), enumerated by pymatgen's GrainBoundaryGenerator.enum_sigma_ort (the
    field's library, King & Singh's orthorhombic theory); each of its misorientations is
    matched to a tilt u = i a + j c of the real lattice, whose coincidence mismatch
    (:func:`sigma_of_rotation`) must stay within ``tol``. A numeric search alone also accepts
    near-coincidences that belong to no CSL of the lattice (a "Sigma1" at 88.8 degrees, which
    is Sigma49; Sigma5, 13, 16, ...), so it only measures the strain here."""
    return list(_csl_table(float(a), float(c), int(sigma_max), float(tol)))


@lru_cache(maxsize=32)
def _csl_table(a: float, c: float, sigma_max: int, tol: float) -> tuple[TiltChoice, ...]:
    from fractions import Fraction

    from pymatgen.core.interface import GrainBoundaryGenerator

    ratio = Fraction((a / c) ** 2).limit_denominator(CSL_MAX_DENOMINATOR)
    sigmas = GrainBoundaryGenerator.enum_sigma_ort(
        int(sigma_max), (0, 1, 0), (ratio.denominator, 1, ratio.numerator)
    )
    tilts = tilt_choices(a, c, nmax=30, lmax=300.0)
    best: dict[int, TiltChoice] = {}
    for sigma in sorted(sigmas):
        for theta in sigmas[sigma]:
            for t in tilts:  # by period: the first match is the shortest
                if abs(t.misorientation_deg - theta) > 0.05:
                    continue
                s_num, strain = sigma_of_rotation(t.misorientation_deg, a, c, tol)
                if s_num is None:  # a large Sigma: coincident vectors beyond the default range
                    s_num, strain = sigma_of_rotation(t.misorientation_deg, a, c, tol, nmax=30)
                if s_num == sigma and strain <= tol:
                    cand = TiltChoice(t.i, t.j, t.period_A, t.misorientation_deg, sigma, strain)
                    if sigma not in best or cand.period_A < best[sigma].period_A:
                        best[sigma] = cand
                break
    return tuple(best[k] for k in sorted(best))


def low_angle(angle_deg: float, a: float, c: float, angle_tol_deg: float = 0.25) -> TiltChoice:
    """Smallest periodic approximant of a low-angle tilt whose grains are rotated by
    +-``angle_deg`` (misorientation 2 ``angle_deg``): the shortest u = i a + j c with
    |atan(j c / i a) - angle_deg| <= ``angle_tol_deg``. Exact (no strain); the actual
    angle is returned in the choice."""
    best = None
    for t in tilt_choices(a, c, nmax=120, lmax=2000.0):
        if abs(t.misorientation_deg / 2 - angle_deg) <= angle_tol_deg:
            best = t
            break
    if best is None:
        msg = f"no approximant within {angle_tol_deg} degrees of {angle_deg}"
        raise ValueError(msg)
    return best


# ---------------------------------------------------------------- the bicrystal
@dataclass
class Bicrystal:
    """A built GB cell and what the builder did."""

    atoms: Atoms
    choice: TiltChoice
    n_cells: tuple[int, int]  # conventional cells in grain 1, grain 2
    removed: dict[str, int] = field(default_factory=dict)  # atoms removed per species
    shift_A: float = 0.0  # rigid shift of grain 2 along x
    gap_A: float = 0.0  # extra spacing at each boundary before relaxation
    area_A2: float = 0.0  # one boundary: L * c_tilt

    @property
    def n_formula_units(self) -> int:
        sym = self.atoms.get_chemical_symbols()
        return sym.count("Zr")

    def describe(self) -> str:
        rem = ", ".join(f"{v} {k}" for k, v in self.removed.items() if v) or "nothing"
        sig = f"Sigma{self.choice.sigma}, " if self.choice.sigma else ""
        return (
            f"[001] tilt {sig}u = {self.choice.i}a + {self.choice.j}c, misorientation "
            f"{self.choice.misorientation_deg:.3f} deg "
            f"(grains at +-{self.choice.misorientation_deg / 2:.3f}), "
            f"period {self.choice.period_A:.3f} A, residual strain 0, {len(self.atoms)} atoms, "
            f"grains {self.n_cells[0]}+{self.n_cells[1]} cells, "
            f"grain-2 shift {self.shift_A:.2f} A, "
            f"gap {self.gap_A:.1f} A, removed {rem}"
        )


def _grain(frame: Atoms, i: int, j: int, k: int) -> tuple[Atoms, float, float]:
    """Slab of k conventional cells with u = i a + j c along x (fundamental domain
    [0, L) x [0, H)). Returns (atoms, L, H); the cell is orthogonal (L, H, b)."""
    a, c, b = frame.cell.lengths()
    g, m0, n0 = _ext_gcd(i, j)  # i*m0 + j*n0 = 1  ->  w = (-n0 k, m0 k): i*(m0 k) - j*(-n0 k) = k
    if g != 1:
        msg = "i and j must be coprime"
        raise ValueError(msg)
    u = np.array([i, j])
    w = np.array([-n0 * k, m0 * k])
    p = np.array([[u[0], u[1], 0], [w[0], w[1], 0], [0, 0, 1]])
    from ase.build import make_supercell

    sc = make_supercell(frame, p, wrap=True)
    length = math.hypot(i * a, j * c)
    height = k * a * c / length
    ang = math.atan2(j * c, i * a)
    rot = np.array(
        [[math.cos(-ang), -math.sin(-ang), 0], [math.sin(-ang), math.cos(-ang), 0], [0, 0, 1]]
    )
    frac = sc.get_scaled_positions(wrap=True)
    pos = frac @ sc.cell.array @ rot.T
    # cut between atomic planes: the window [delta, delta + H) with delta in the widest gap of
    # the plane heights modulo h0 = a c / L (the same for every k), so that no atom lies on a
    # cutting plane and both boundaries of the bicrystal are equivalent
    h0 = a * c / length
    ys = np.sort(np.mod(pos[:, 1], h0))
    gaps = np.diff(np.concatenate([ys, [ys[0] + h0]]))
    g_i = int(np.argmax(gaps))
    delta = ys[g_i] + gaps[g_i] / 2
    w_rot = np.array([w[0] * a, w[1] * c, 0.0]) @ rot.T
    below = pos[:, 1] < delta
    pos[below] += w_rot
    pos[:, 1] -= delta
    pos[:, 0] = np.mod(pos[:, 0], length)
    out = Atoms(
        sc.get_chemical_symbols(), positions=pos, cell=np.diag([length, height, b]), pbc=True
    )
    out.set_masses(sc.get_masses())
    return out, length, height


def _ext_gcd(x: int, y: int) -> tuple[int, int, int]:
    if y == 0:
        return x, 1, 0
    g, s, t = _ext_gcd(y, x % y)
    return g, t, s - (x // y) * t


def _flip(grain: Atoms) -> Atoms:
    """Grain 2 of a symmetric tilt: 2-fold rotation about x, (x, y, z) -> (x, -y, -z); its
    lattice is grain 1's mirrored in the boundary plane (u' = i a - j c along x)."""
    out = grain.copy()
    cell = out.cell.lengths()
    pos = out.positions.copy()
    pos[:, 1] = cell[1] - pos[:, 1]
    pos[:, 2] = cell[2] - pos[:, 2]
    out.positions = pos
    out.wrap()
    return out


def _remove_overlaps(atoms: Atoms, d_min: float) -> dict[str, int]:
    """Remove whole formula units (Ba + Zr + 3 S, the atoms nearest to the closest pair)
    until no pair is closer than ``d_min``. Returns removed atoms per species."""
    from ase.neighborlist import neighbor_list

    removed = {"Ba": 0, "Zr": 0, "S": 0}
    for _ in range(len(atoms)):
        _, j, d = neighbor_list("ijd", atoms, d_min)
        if len(d) == 0:
            break
        k = int(np.argmin(d))
        dist = atoms.get_distances(j[k], range(len(atoms)), mic=True)
        sym = np.array(atoms.get_chemical_symbols())
        drop = []
        for s, count in FORMULA.items():
            idx = np.where(sym == s)[0]
            idx = idx[np.argsort(dist[idx])][:count]
            drop.extend(idx.tolist())
            removed[s] += count
        del atoms[sorted(set(drop))]
    return removed


def _n_close(atoms: Atoms, d_min: float) -> tuple[int, float]:
    from ase.neighborlist import neighbor_list

    d = neighbor_list("d", atoms, max(d_min, 2.2))
    return int((d < d_min).sum() // 2), float(d.min()) if d.size else float("inf")


def build_bicrystal(
    crystal: Atoms,
    choice: TiltChoice,
    thickness_A: float = 20.0,
    d_min: float = 1.8,
    gaps_A: tuple[float, ...] = (0.0, 0.5, 1.0),
    same_orientation: bool = False,
) -> Bicrystal:
    """Periodic bicrystal with two identical [001] tilt boundaries (normal y).

    crystal: relaxed Pnma cell (a, b, c axis-aligned). thickness_A: minimum thickness of each
    grain (rounded up to whole conventional cells). The rigid translation of grain 2 is one of
    x in {0, L/2}, z in {0, c_tilt/2} (the translations that keep the two boundaries of the
    cell equivalent under the 2-fold axis, whatever the grain thickness) and an extra gap
    ``gaps_A`` at each boundary: the one with fewest pairs closer than ``d_min`` (Angstrom),
    then the largest shortest distance. Remaining close pairs are removed as whole formula
    units (Ba + Zr + 3 S nearest to the pair). same_orientation: grain 2 = grain 1 continued
    (a 0-degree "boundary": perfect crystal, E_GBf = 0).
    """
    frame = _tilt_frame(crystal)
    a, c, tz = frame.cell.lengths()
    length = choice.period_A
    k = max(1, math.ceil(thickness_A * length / (a * c)))
    g1, length, h = _grain(frame, choice.i, choice.j, k)
    if same_orientation:
        # the continuation of grain 1 (the slab above it in the same crystal); the cell is
        # periodic across y only when w has no x component, i.e. for u = a (ZERO_ANGLE)
        if choice.j != 0:
            msg = "same_orientation needs the 0-degree choice ZERO_ANGLE (u = a)"
            raise ValueError(msg)
        g2, _, _ = _grain(frame, choice.i, choice.j, 2 * k)
        g2 = g2[g2.positions[:, 1] >= h - 1e-9]
        g2.positions[:, 1] -= h
        trials = [(0.0, 0.0, 0.0)]
    else:
        g2 = _flip(g1)
        trials = [
            (sx, sz, gap) for gap in gaps_A for sx in (0.0, length / 2) for sz in (0.0, tz / 2)
        ]
    best = None
    for shift, sz, gap in trials:
        g = g2.copy()
        g.positions[:, 0] = np.mod(g.positions[:, 0] + shift, length)
        g.positions[:, 2] = np.mod(g.positions[:, 2] + sz, tz)
        g.positions[:, 1] += h + gap
        cand = g1 + g
        cand.set_cell(np.diag([length, 2 * h + 2 * gap, tz]))
        cand.pbc = True
        cand.wrap()
        n_bad, dmin = _n_close(cand, d_min)
        if best is None or (n_bad, -dmin) < (best[0], -best[1]):
            best = (n_bad, dmin, shift, sz, gap, cand)
    _, _, shift, sz, gap, atoms = best
    removed = _remove_overlaps(atoms, d_min)
    atoms = atoms[np.argsort(atoms.positions[:, 1], kind="stable")]
    atoms.info.update(
        {
            "gb_i": choice.i,
            "gb_j": choice.j,
            "misorientation_deg": choice.misorientation_deg,
            "sigma": choice.sigma or 0,
            "normal_axis": 1,
            "shift_A": shift,
            "shift_z_A": sz,
            "gap_A": gap,
        }
    )
    bc = Bicrystal(atoms, choice, (k, k), removed, shift, gap, length * tz)
    if any(removed.values()):
        log.info("GB builder removed %s to keep the cell stoichiometric", removed)
    return bc


def is_stoichiometric(atoms: Atoms) -> bool:
    """True if Ba : Zr : S = 1 : 1 : 3."""
    s = atoms.get_chemical_symbols()
    nba, nzr, ns = s.count("Ba"), s.count("Zr"), s.count("S")
    return nba == nzr and ns == 3 * nzr and len(s) == 5 * nzr
