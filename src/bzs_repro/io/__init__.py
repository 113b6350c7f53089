"""Readers and writers of the file formats this project meets (in the spirit of ase.io): the
authors' extxyz files (plain or zipped). Others still live beside their users (Atomsk
parameter files in structures/polycrystal.py, phonopy band files in analysis/phonons.py)."""
