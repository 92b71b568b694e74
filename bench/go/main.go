// expfmt-bench measures the Go Pushgateway's text format code on a file: how fast
// expfmt.TextParser.TextToMetricFamilies parses it and expfmt.MetricFamilyToText renders the
// parsed families again, in MB/s (10^6 bytes per second of the input file's size), each the
// median of several runs on one goroutine (the garbage collector may use the other cores, as in
// `go test -bench`). bench/run.sh puts the figures next to pushgw's
// (issue 7, goals g and h).
//
// Built offline in GOPATH mode from Debian's golang-go and golang-github-prometheus-common-dev:
//
//	GO111MODULE=off GOPATH=/usr/share/gocode GOPROXY=off go build -o expfmt-bench bench/go/main.go
//
// Usage: expfmt-bench FILE [RUNS]
package main

import (
	"bytes"
	"fmt"
	"os"
	"runtime"
	"sort"
	"strconv"
	"time"

	dto "github.com/prometheus/client_model/go"
	"github.com/prometheus/common/expfmt"
)

func median(durations []time.Duration) time.Duration {
	sorted := append([]time.Duration(nil), durations...)
	sort.Slice(sorted, func(i, j int) bool { return sorted[i] < sorted[j] })
	return sorted[len(sorted)/2]
}

func main() {
	if len(os.Args) < 2 {
		fmt.Fprintln(os.Stderr, "usage: expfmt-bench FILE [RUNS]")
		os.Exit(2)
	}
	runs := 5
	if len(os.Args) > 2 {
		n, err := strconv.Atoi(os.Args[2])
		if err != nil || n < 1 {
			fmt.Fprintf(os.Stderr, "expfmt-bench: RUNS must be a positive integer, not %q\n", os.Args[2])
			os.Exit(2)
		}
		runs = n
	}
	input, err := os.ReadFile(os.Args[1])
	if err != nil {
		fmt.Fprintf(os.Stderr, "expfmt-bench: cannot read %s: %v\n", os.Args[1], err)
		os.Exit(1)
	}

	var families map[string]*dto.MetricFamily
	parse := make([]time.Duration, 0, runs)
	for i := 0; i < runs; i++ {
		runtime.GC()
		var parser expfmt.TextParser
		start := time.Now()
		families, err = parser.TextToMetricFamilies(bytes.NewReader(input))
		parse = append(parse, time.Since(start))
		if err != nil {
			fmt.Fprintf(os.Stderr, "expfmt-bench: %s does not parse: %v\n", os.Args[1], err)
			os.Exit(1)
		}
	}
	// Render in the file's order of names, as the gateway renders sorted families.
	names := make([]string, 0, len(families))
	for name := range families {
		names = append(names, name)
	}
	sort.Strings(names)
	var out bytes.Buffer
	out.Grow(2 * len(input))
	render := make([]time.Duration, 0, runs)
	for i := 0; i < runs; i++ {
		runtime.GC()
		out.Reset()
		start := time.Now()
		for _, name := range names {
			if _, err := expfmt.MetricFamilyToText(&out, families[name]); err != nil {
				fmt.Fprintf(os.Stderr, "expfmt-bench: cannot render %s: %v\n", name, err)
				os.Exit(1)
			}
		}
		render = append(render, time.Since(start))
	}
	mb := float64(len(input)) / 1e6
	fmt.Printf("bytes %d families %d rendered_bytes %d\n", len(input), len(families), out.Len())
	fmt.Printf("parse_mb_s %.1f\n", mb/median(parse).Seconds())
	fmt.Printf("render_mb_s %.1f\n", mb/median(render).Seconds())
}
