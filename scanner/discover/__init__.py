"""discover stage of the sellerscan pipeline."""
