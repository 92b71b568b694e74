"""Pushes, push-adds or deletes one group with prometheus_client (PyPI, pinned in scripts/test.sh),
for the client matrix of pushgw-tests (tests/tests/client_matrix.rs).

Usage (the same flags as the Go and Node.js clients):

    python3 pushclient.py -url http://127.0.0.1:9091 -op push|add|delete -job JOB [-gzip]
        [-user U -password P] [-metrics all|gauges] [name=value ...]

It prints one line: `ok`, `status <code>` when the gateway answered with an HTTP error, or
`client error: <message>` when the library failed otherwise. The exit status is 0 in all three
cases: only a broken invocation exits non-zero.

Without arguments it reads calls from stdin instead: one JSON array of arguments per line, one
outcome line each.
"""

import argparse
import json
import sys
import urllib.error

from prometheus_client import (CollectorRegistry, Counter, Gauge, Histogram, Summary,
                               delete_from_gateway, push_to_gateway, pushadd_to_gateway)
from prometheus_client.exposition import basic_auth_handler


def registry(metric_set):
    """The metrics of the scenario: all four types, or only gauges (for add)."""
    registry = CollectorRegistry()
    last = Gauge('demo_last_success_unixtime', 'Last success.', registry=registry)
    if metric_set == 'gauges':
        last.set(1700000100)
        Gauge('demo_records_processed', 'Records processed.', registry=registry).set(42)
        return registry
    last.set(1700000000.5)
    jobs = Counter('demo_jobs', 'Finished jobs.', ['kind'], registry=registry)
    jobs.labels('a').inc(3)
    jobs.labels('b').inc(1.5)
    latency = Histogram('demo_latency_seconds', 'Latency.', buckets=(0.1, 1, 10),
                        registry=registry)
    for value in (0.05, 0.5, 5, 50):
        latency.observe(value)
    size = Summary('demo_batch_size_bytes', 'Batch size.', registry=registry)
    size.observe(1024)
    size.observe(4096)
    return registry


def run(argv):
    """Runs one call described by the command-line arguments `argv`; returns the outcome line."""
    parser = argparse.ArgumentParser()
    parser.add_argument('-url', required=True)
    parser.add_argument('-op', choices=('push', 'add', 'delete'), default='push')
    parser.add_argument('-job', default='')
    parser.add_argument('-gzip', action='store_true')
    parser.add_argument('-user')
    parser.add_argument('-password', default='')
    parser.add_argument('-metrics', choices=('all', 'gauges'), default='all')
    parser.add_argument('grouping', nargs='*')
    args = parser.parse_args(argv)
    grouping_key = dict(pair.split('=', 1) for pair in args.grouping)

    extra = {}
    if args.user is not None:
        def handler(url, method, timeout, headers, data):
            return basic_auth_handler(url, method, timeout, headers, data,
                                      args.user, args.password)
        extra['handler'] = handler
    try:
        if args.op == 'delete':
            delete_from_gateway(args.url, job=args.job, grouping_key=grouping_key, **extra)
        else:
            if args.gzip:
                extra['compression'] = 'gzip'
            push = push_to_gateway if args.op == 'push' else pushadd_to_gateway
            push(args.url, job=args.job, registry=registry(args.metrics),
                 grouping_key=grouping_key, **extra)
        return 'ok'
    except urllib.error.HTTPError as error:
        print(error, file=sys.stderr)
        return f'status {error.code}'
    except Exception as error:  # pylint: disable=broad-except
        return f'client error: {error}'


def main():
    if len(sys.argv) > 1:
        print(run(sys.argv[1:]))
        return
    # Without arguments: one call per line of stdin, each a JSON array of arguments, one outcome
    # line each, so that a test pays Python's start-up once.
    for line in sys.stdin:
        print(run(json.loads(line)), flush=True)


if __name__ == '__main__':
    main()
