"""Domain services: plain functions named by verb. Each owns its transaction and raises AppErrors."""
