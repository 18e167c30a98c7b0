"""resolve stage of the sellerscan pipeline."""
