"""Voronoi polycrystal builder: Atomsk parameters, rotation convention, one-grain limit,
composition, GB clean-up, command line."""

from __future__ import annotations

import numpy as np
import pytest
from ase import Atoms
from ase.io import read

from bzs_repro.structures import polycrystal as pc
from bzs_repro.structures.crystal import bazrs3_pnma

ABC = (7.086, 9.941, 6.942)  # the paper potential's relaxed lattice (A)


@pytest.fixture(scope="module")
def seed():
    return bazrs3_pnma(*ABC)


@pytest.mark.parametrize("name", ["atomsk-8grain-params", "atomsk-6grain-params"])
def test_authors_param_file_round_trips(paper_mirror, tmp_path, name):
    """The authors' Atomsk files are read and rewritten byte for byte (Atomsk's layout)."""
    from bzs_repro.data.registry import fetch

    src = fetch(name)
    p = pc.read_atomsk_params(src)
    assert np.allclose(p.box, 200.0)
    if name.startswith("atomsk-8"):
        assert p.n_grains == 8
        assert np.allclose(p.nodes[0], [17.736423, 121.421306, 84.703323])
        assert np.allclose(p.angles_deg[0], [-172.293753, -65.652753, 74.669712])
    else:
        assert p.n_grains == 6
        assert np.allclose(p.angles_deg[-1], [-170.670177, 62.311511, -130.992393])
    out = pc.write_atomsk_params(p, tmp_path / "x_param.txt")
    assert out.read_bytes() == src.read_bytes()
    q = pc.read_atomsk_params(out)
    assert np.array_equal(p.nodes, q.nodes)
    assert np.array_equal(p.angles_deg, q.angles_deg)


def test_atomsk_box_expressions_and_degree_sign(tmp_path):
    f = tmp_path / "e_param.txt"
    f.write_text("box 40 50 60\nnode box/2 0.25*box box-10 90° 0 -45\n")
    p = pc.read_atomsk_params(f)
    assert np.allclose(p.nodes[0], [20.0, 12.5, 50.0])
    assert np.allclose(p.angles_deg[0], [90.0, 0.0, -45.0])
    f.write_text("box 40 50 60\nnode 1 2 3 [100] [010] [001]\n")
    with pytest.raises(ValueError, match="Miller"):
        pc.read_atomsk_params(f)


def test_random_params_round_trip(tmp_path):
    p = pc.random_params(5, (30.0, 40.0, 50.0), seed=3)
    q = pc.read_atomsk_params(pc.write_atomsk_params(p, tmp_path / "r_param.txt"))
    assert np.allclose(q.box, [30, 40, 50])
    assert np.allclose(p.nodes, q.nodes, atol=1e-6)
    assert np.allclose(p.angles_deg, q.angles_deg, atol=1e-6)
    assert np.all((p.nodes >= 0) & (p.nodes < p.box))


def test_malformed_param_file(tmp_path):
    f = tmp_path / "bad.txt"
    f.write_text("box 10 10 10\nnode 1 2 3 4 5\n")
    with pytest.raises(ValueError, match=r"bad\.txt:2"):
        pc.read_atomsk_params(f)
    f.write_text("# only a comment\n")
    with pytest.raises(ValueError, match="box"):
        pc.read_atomsk_params(f)


def test_atomsk_rotation_order():
    """X first, then Y, then Z: R = Rz Ry Rx; 90 deg about X sends y to z."""

    def rx(a):
        c, s = np.cos(np.radians(a)), np.sin(np.radians(a))
        return np.array([[1, 0, 0], [0, c, -s], [0, s, c]])

    def ry(a):
        c, s = np.cos(np.radians(a)), np.sin(np.radians(a))
        return np.array([[c, 0, s], [0, 1, 0], [-s, 0, c]])

    def rz(a):
        c, s = np.cos(np.radians(a)), np.sin(np.radians(a))
        return np.array([[c, -s, 0], [s, c, 0], [0, 0, 1]])

    assert np.allclose(pc.grain_rotation([90, 0, 0]) @ [0, 1, 0], [0, 0, 1])
    ang = (30.0, -50.0, 110.0)
    assert np.allclose(pc.grain_rotation(ang), rz(ang[2]) @ ry(ang[1]) @ rx(ang[0]))
    # element by element as Atomsk's EULER2MAT_ZYX(a, b, c) (src/include/math.f90)
    a, b, c = np.radians(ang)
    c1, c2, c3, s1, s2, s3 = np.cos(c), np.cos(b), np.cos(a), np.sin(c), np.sin(b), np.sin(a)
    atomsk = [
        [c1 * c2, c1 * s2 * s3 - c3 * s1, s1 * s3 + c1 * c3 * s2],
        [c2 * s1, c1 * c3 + s1 * s2 * s3, c3 * s1 * s2 - c1 * s3],
        [-s2, c2 * s3, c2 * c3],
    ]
    assert np.allclose(pc.grain_rotation(ang), atomsk)
    # random grains: proper rotations, angles in Atomsk's range (-180, 180] (middle in [-90, 90])
    p = pc.random_params(20, 30.0, seed=1)
    for x in p.angles_deg:
        r = pc.grain_rotation(x)
        assert np.allclose(r @ r.T, np.eye(3))
        assert np.linalg.det(r) == pytest.approx(1.0)
    assert np.all(np.abs(p.angles_deg) <= 180)
    assert np.all(np.abs(p.angles_deg[:, 1]) <= 90)


def test_one_grain_without_rotation_is_the_crystal(seed):
    reps = (3, 2, 3)
    box = np.array(ABC) * reps
    node = np.array([1.3, 2.1, 0.7])
    params = pc.AtomskParams(box, node[None, :], np.zeros((1, 3)))
    poly = pc.build_polycrystal(params, seed)
    ref = seed.repeat(reps)
    assert len(poly) == len(ref) == 20 * 18
    assert poly.info["polycrystal_removed_close"] == 0
    assert poly.get_chemical_formula() == ref.get_chemical_formula()
    # same sites as Atomsk lays them: the template's centre of mass on the grain centre (one
    # node: the node itself), i.e. the crystal shifted by node - COM of the template block
    com = pc.atomsk_template_com(seed, pc.atomsk_template_size(params))
    assert np.allclose(pc.atomsk_grain_centres(params), node)
    for el in ("Ba", "Zr", "S"):
        a = np.mod(poly.positions[np.array(poly.get_chemical_symbols()) == el], box)
        b = np.mod(ref.positions[np.array(ref.get_chemical_symbols()) == el] + node - com, box)
        d = a[:, None, :] - b[None, :, :]
        d -= box * np.round(d / box)
        assert np.linalg.norm(d, axis=2).min(axis=1).max() < 1e-6


def test_atomsk_grain_centre_and_template():
    """Atomsk's grain centre, (2 node + the 6 nearest node-image midpoints) / 8, by brute force;
    its template block of a cubic seed whose edge divides T has its centre of mass at T/2."""
    box = np.array([20.0, 23.0, 26.0])
    nodes = np.array([[4.0, 5.0, 6.0], [11.0, 9.0, 8.0], [15.0, 18.0, 20.0]])
    params = pc.AtomskParams(box, nodes, np.zeros((3, 3)))
    for g, node in enumerate(nodes):
        cand = []
        for h, other in enumerate(nodes):
            for i in (-1, 0, 1):
                for j in (-1, 0, 1):
                    for k in (-1, 0, 1):
                        q = other + box * np.array([i, j, k])
                        if h != g or (i, j, k) != (0, 0, 0):
                            cand.append((float(np.linalg.norm(q - node)), (q + node) / 2))
        cand.sort(key=lambda c: c[0])
        expected = (2 * node + sum(m for _, m in cand[:6])) / 8
        assert np.allclose(pc.atomsk_grain_centres(params)[g], expected)
    assert pc.atomsk_template_size(params) == pytest.approx(1.25 * 26.0 * 1.5 + 6.0)  # 3 nodes
    cubic = Atoms("Zr", cell=[2.0, 2.0, 2.0], pbc=True)
    assert np.allclose(pc.atomsk_template_com(cubic, 40.0), 20.0)


def test_composition_is_reported_not_forced(seed):
    """As Atomsk: no stoichiometry balancing by default (the paper's S-deficient boundaries);
    balance='formula' forces exact BaZrS3 on request."""
    params = pc.random_params(6, 36.0, seed=11)
    poly = pc.build_polycrystal(params, seed)
    assert poly.info["polycrystal_balance"] == "none"
    assert poly.info["polycrystal_removed_balance"] == 0
    forced = pc.build_polycrystal(params, seed, balance="formula")
    sym = forced.get_chemical_symbols()
    assert sym.count("Ba") == sym.count("Zr") == sym.count("S") / 3
    assert len(poly) - len(forced) == forced.info["polycrystal_removed_balance"] > 0
    assert pc.composition_deviation(forced) < pc.composition_deviation(poly)


def test_composition_and_gb_cleanup(seed):
    params = pc.random_params(6, 36.0, seed=11)
    poly = pc.build_polycrystal(params, seed)
    assert pc.composition_deviation(poly) <= 0.5
    assert poly.info["polycrystal_removed_close"] > 0  # random grains overlap at the GBs
    rows = pc.composition_report(poly)
    assert [r["grain"] for r in rows] == [*map(str, range(6)), "all"]
    assert sum(r["n_atoms"] for r in rows[:-1]) == rows[-1]["n_atoms"] == len(poly)
    # grains fill the box: no double layers (never above the crystal's count), and only GB
    # atoms removed (36 A box, 6 grains: about 4 % of the atoms sit in overlapping GB layers)
    n_expected = 20 * np.prod(params.box) / np.prod(ABC)
    assert 0.93 < len(poly) / n_expected <= 1.0
    from bzs_repro.measures import min_pair_distance

    assert min_pair_distance(poly) >= poly.info["polycrystal_min_distance_A"]


def test_cli_build(tmp_path):
    from bzs_repro.cli import main

    out = tmp_path / "poly.extxyz"
    rc = main(
        [
            "build",
            "polycrystal",
            "--grains",
            "3",
            "--box",
            "30",
            "--seed",
            "2",
            "--lattice",
            *map(str, ABC),
            "--out",
            str(out),
        ]
    )
    assert rc == 0
    atoms = read(out)
    assert set(atoms.arrays["grain"]) == {0, 1, 2}
    assert atoms.info["polycrystal_grains"] == 3
    p = pc.read_atomsk_params(tmp_path / "poly_param.txt")
    assert np.allclose(p.nodes, pc.random_params(3, 30.0, 2).nodes, atol=1e-6)
    assert main(["build", "polycrystal", "--grains", "3", "--out", str(out)]) == 2  # no --box


def test_relaxation_checkpoints_and_resumes(paper_calc, tmp_path, seed):
    """FIRE in chunks: a rerun with a larger step budget resumes from the saved structure."""
    from bzs_repro.engines import get_engine
    from bzs_repro.pipelines.fig4 import relax_checkpointed

    poly = pc.build_polycrystal(pc.random_params(2, 16.0, seed=3), seed)
    cfg = {"relax_fmax": 1e-4, "relax_max_steps": 4, "relax_chunk_steps": 2}
    eng = get_engine("ase")
    a4, meta4 = relax_checkpointed(poly, paper_calc, eng, cfg, tmp_path, "p")
    assert meta4["steps"] == 4
    assert not meta4["converged"]
    assert (tmp_path / "p.ckpt" / "atoms.extxyz").is_file()
    a6, meta6 = relax_checkpointed(
        poly, paper_calc, eng, {**cfg, "relax_max_steps": 6}, tmp_path, "p"
    )
    assert meta6["steps"] == 6  # 4 resumed + 2 new, not 6 from scratch
    e = []
    for x in (poly, a4, a6):
        x = x.copy()
        x.calc = paper_calc
        e.append(x.get_potential_energy())
    assert e[0] > e[1] > e[2]
    assert np.array_equal(a6.arrays["grain"], poly.arrays["grain"])  # grain ids survive
    other = pc.build_polycrystal(pc.random_params(2, 16.0, seed=4), seed)
    _, meta = relax_checkpointed(
        other, paper_calc, eng, {**cfg, "relax_max_steps": 2}, tmp_path, "p"
    )
    assert meta["steps"] == 2  # another model under the same label does not resume


def test_cli_build_from_atomsk_file(paper_mirror, tmp_path, capsys):
    """`bzs-repro build polycrystal --atomsk-params`: the authors' 8 grains (box scaled to 36 A)."""
    from bzs_repro.cli import main
    from bzs_repro.data.registry import fetch

    p = pc.read_atomsk_params(fetch("atomsk-8grain-params"))
    small = pc.AtomskParams(p.box * 0.18, p.nodes * 0.18, p.angles_deg, p.comments)
    par = pc.write_atomsk_params(small, tmp_path / "small_param.txt")
    out = tmp_path / "eight.extxyz"
    assert (
        main(
            [
                "build",
                "polycrystal",
                "--atomsk-params",
                str(par),
                "--lattice",
                *map(str, ABC),
                "--out",
                str(out),
            ]
        )
        == 0
    )
    atoms = read(out)
    assert sorted(set(atoms.arrays["grain"])) == list(range(8))
    assert "given" in atoms.info["polycrystal_seed"]
    assert pc.composition_deviation(atoms) <= 0.5
    text = capsys.readouterr().out
    assert "grain=all" in text
    assert f"n_atoms={len(atoms)}" in text
    assert (tmp_path / "eight_param.txt").read_text() == par.read_text()
