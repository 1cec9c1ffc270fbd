"""Translate a trigger's world (SQS records, HTTP requests) into deliveries and back."""
