"""Applications built on Chorus: each is a package of data, custom actions and configuration."""
