"""parse stage of the sellerscan pipeline."""
