"""policy stage of the sellerscan pipeline."""
