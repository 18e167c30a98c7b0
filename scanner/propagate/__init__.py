"""propagate stage of the sellerscan pipeline."""
