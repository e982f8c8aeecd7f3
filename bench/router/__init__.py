"""Side-by-side benchmark of Chorus's router against Apollo Gateway and Hive Gateway."""
