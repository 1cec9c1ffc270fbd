"""Posts activities on LeadSquared leads from SQS and API Gateway."""

__version__ = "0.2.0"
