"""rules stage of the sellerscan pipeline."""
