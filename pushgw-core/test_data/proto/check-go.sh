#!/usr/bin/env bash
# Pushes every vector in this directory to a running reference Pushgateway and records its answer,
# for pushgw-core/tests/proto_vectors.rs (decoder_agrees_with_the_reference).
#
#   prometheus-pushgateway --web.listen-address=127.0.0.1:19102 --persistence.file= &
#   pushgw-core/test_data/proto/check-go.sh 127.0.0.1:19102 > pushgw-core/test_data/proto/go-1.5.1.txt
#
# For each vector: `== <name>: <status> <body>` for a PUT to /metrics/job/x, then (indented) the
# families the gateway exposes afterwards as compact protobuf text, without its own
# push_time_seconds/push_failure_time_seconds families; then the group is deleted again.
# For the vectors the gateway accepts, the whole protobuf scrape (the gateway's own proto.Marshal
# output) is kept as go-1.5.1/<name>.bin, to hold our encoder to it byte for byte.
set -euo pipefail
addr=${1:?usage: check-go.sh HOST:PORT}
dir=$(dirname "$0")
push_type='application/vnd.google.protobuf; proto=io.prometheus.client.MetricFamily; encoding=delimited'
scrape_type='application/vnd.google.protobuf; proto=io.prometheus.client.MetricFamily; encoding=compact-text'
delimited_type='application/vnd.google.protobuf; proto=io.prometheus.client.MetricFamily; encoding=delimited'
mkdir -p "$dir/go-1.5.1"
rm -f "$dir"/go-1.5.1/*.bin
body=$(mktemp)
trap 'rm -f "$body"' EXIT
for bin in "$dir"/*.bin; do
  name=$(basename "$bin" .bin)
  curl -sf -X DELETE "http://$addr/metrics/job/x" > /dev/null
  status=$(curl -s -o "$body" -w '%{http_code}' -X PUT -H "Content-Type: $push_type" \
    --data-binary "@$bin" "http://$addr/metrics/job/x")
  printf '== %s: %s %s\n' "$name" "$status" "$(tr '\n' ' ' < "$body" | sed 's/ *$//')"
  curl -s -H "Accept: $scrape_type" "http://$addr/metrics" \
    | grep -v -e '^name:"push_time_seconds"' -e '^name:"push_failure_time_seconds"' \
        -e '^name:"go_' -e '^name:"process_' -e '^name:"pushgateway_' \
    | sed 's/^/    /' || true
  if [ "$status" = 200 ]; then
    curl -sf -H "Accept: $delimited_type" "http://$addr/metrics" > "$dir/go-1.5.1/$name.bin"
  fi
done
curl -sf -X DELETE "http://$addr/metrics/job/x" > /dev/null
