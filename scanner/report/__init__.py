"""report stage of the sellerscan pipeline."""
