"""Post activities on LeadSquared leads from SQS messages and API Gateway requests."""
