"""Structures: the Pnma crystal, amorphous starts, GB bicrystals, Voronoi polycrystals."""
