"""Entry points of the measured child processes (`python -m bench.children.<name>`).

Each child takes the path of a JSON result file as its first argument, writes its
measurements there, and sends whatever the function logs to stdout (which the runner
discards).
"""
