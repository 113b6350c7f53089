"""Re-enactment of the paper's MLIP workflow: data set (dataset), linear ACE fits (fit),
errors (errors) and the iterative loop that ties them together (workflow)."""
