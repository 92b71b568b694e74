// pushclient pushes, push-adds or deletes one group with prom-client's Pushgateway class (npm,
// pinned in package-lock.json), for the client matrix of pushgw-tests
// (tests/tests/client_matrix.rs).
//
// Usage (the same flags as the Go and Python clients):
//
//   node pushclient.js -url http://127.0.0.1:9091 -op push|add|delete -job JOB [-gzip]
//       [-user U -password P] [-metrics all|gauges] [name=value ...]
//
// It prints one line: `ok` (`ok (status <code>)` when prom-client resolved for a status other
// than 200 or 202), `status <code>` when the gateway answered 4xx/5xx, or
// `client error: <message>` when the library failed otherwise. The exit status is 0 in all three
// cases: only a broken invocation exits non-zero.
//
// Without arguments it reads calls from stdin instead: one JSON array of arguments per line, one
// outcome line each.
'use strict';

const client = require('prom-client');

function parseArgs(argv) {
	const options = { op: 'push', job: '', metrics: 'all', gzip: false, grouping: {} };
	for (let i = 0; i < argv.length; i++) {
		const arg = argv[i];
		if (arg === '-gzip') {
			options.gzip = true;
		} else if (['-url', '-op', '-job', '-user', '-password', '-metrics'].includes(arg)) {
			options[arg.slice(1)] = argv[++i];
		} else if (arg.includes('=')) {
			const at = arg.indexOf('=');
			options.grouping[arg.slice(0, at)] = arg.slice(at + 1);
		} else {
			console.error(`unknown argument ${JSON.stringify(arg)}`);
			process.exit(2);
		}
	}
	return options;
}

// The metrics of the scenario: all four types, or only gauges (for add).
function registry(set) {
	const registry = new client.Registry();
	const last = new client.Gauge({
		name: 'demo_last_success_unixtime',
		help: 'Last success.',
		registers: [registry],
	});
	if (set === 'gauges') {
		last.set(1700000100);
		new client.Gauge({
			name: 'demo_records_processed',
			help: 'Records processed.',
			registers: [registry],
		}).set(42);
		return registry;
	}
	last.set(1700000000.5);
	const jobs = new client.Counter({
		name: 'demo_jobs_total',
		help: 'Finished jobs.',
		labelNames: ['kind'],
		registers: [registry],
	});
	jobs.inc({ kind: 'a' }, 3);
	jobs.inc({ kind: 'b' }, 1.5);
	const latency = new client.Histogram({
		name: 'demo_latency_seconds',
		help: 'Latency.',
		buckets: [0.1, 1, 10],
		registers: [registry],
	});
	const size = new client.Summary({
		name: 'demo_batch_size_bytes',
		help: 'Batch size.',
		percentiles: [0.5, 0.9],
		registers: [registry],
	});
	for (const value of [0.05, 0.5, 5, 50]) {
		latency.observe(value);
	}
	size.observe(1024);
	size.observe(4096);
	return registry;
}

// Runs one call described by the command-line arguments `argv`; resolves to the outcome line.
async function run(argv) {
	const options = parseArgs(argv);
	const requestOptions = { timeout: 30000 };
	if (options.gzip) {
		requestOptions.headers = { 'Content-Encoding': 'gzip' };
	}
	if (options.user !== undefined) {
		requestOptions.auth = `${options.user}:${options.password}`;
	}
	const gateway = new client.Pushgateway(options.url, requestOptions, registry(options.metrics));
	const params = { jobName: options.job, groupings: options.grouping };
	try {
		let result;
		switch (options.op) {
			case 'push':
				result = await gateway.push(params);
				break;
			case 'add':
				result = await gateway.pushAdd(params);
				break;
			case 'delete':
				result = await gateway.delete(params);
				break;
			default:
				console.error(`unknown operation ${JSON.stringify(options.op)}`);
				process.exit(2);
		}
		// prom-client resolves for every status below 400: show the ones that are not a success
		// (a redirect means the push went nowhere).
		const status = result.resp.statusCode;
		return status === 200 || status === 202 ? 'ok' : `ok (status ${status})`;
	} catch (error) {
		const status = /push failed with status (\d+)/.exec(error.message);
		if (status) {
			console.error(error.message);
			return `status ${status[1]}`;
		}
		return `client error: ${error.message}`;
	}
}

async function main() {
	const argv = process.argv.slice(2);
	if (argv.length > 0) {
		console.log(await run(argv));
		return;
	}
	// Without arguments: one call per line of stdin, each a JSON array of arguments, one outcome
	// line each, so that a test pays Node's start-up once.
	const lines = require('readline').createInterface({ input: process.stdin });
	for await (const line of lines) {
		console.log(await run(JSON.parse(line)));
	}
}

main();
