"""Analysis: coordination, bonds, RDF/ADF, density, GB energy, scattering, errors."""
