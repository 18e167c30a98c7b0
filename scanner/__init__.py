"""sellerscan: trace Amazon SP-API/MWS buyer PII through seller-app code to where it leaves."""

__version__ = "0.1.0"
