"""Commands for running the deployed stack (not deployed with the function).

python -m operations.redrive --help    move dead-lettered messages back to the queue
"""
