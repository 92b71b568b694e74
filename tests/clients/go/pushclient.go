// pushclient pushes, adds or deletes one group with client_golang's push package (v1.14, from
// Debian's golang-github-prometheus-client-golang-dev), for the client matrix of pushgw-tests
// (tests/tests/client_matrix.rs). Built offline in GOPATH mode; see tests/tests/client_matrix/go.rs.
//
// Usage:
//
//	pushclient -url http://127.0.0.1:9091 -op push|add|delete -job JOB [-format proto|text]
//	    [-gzip] [-user U -password P] [-metrics all|gauges] [name=value ...]
//
// The trailing arguments are the grouping labels, split at the first '='. It prints one line: `ok`,
// `status <code>` when the gateway answered with an unexpected status, or `client error: <message>`
// when the library refused before sending anything. The exit status is 0 in all three cases: only a
// broken invocation exits non-zero.
package main

import (
	"bytes"
	"compress/gzip"
	"flag"
	"fmt"
	"io"
	"net/http"
	"os"
	"regexp"
	"strings"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/push"
	"github.com/prometheus/common/expfmt"
)

// gzipDoer compresses every request body it sends: the push package has no gzip option of its own
// (v1.14), but takes any HTTPDoer, which is how a user would add it.
type gzipDoer struct{ client *http.Client }

func (d gzipDoer) Do(req *http.Request) (*http.Response, error) {
	if req.Body == nil {
		return d.client.Do(req)
	}
	raw, err := io.ReadAll(req.Body)
	if err != nil {
		return nil, err
	}
	var compressed bytes.Buffer
	writer := gzip.NewWriter(&compressed)
	if _, err := writer.Write(raw); err != nil {
		return nil, err
	}
	if err := writer.Close(); err != nil {
		return nil, err
	}
	req.Body = io.NopCloser(&compressed)
	req.ContentLength = int64(compressed.Len())
	req.Header.Set("Content-Encoding", "gzip")
	return d.client.Do(req)
}

// collectors are the metrics of the scenario: all four types, or only gauges (for add).
func collectors(set string) []prometheus.Collector {
	if set == "gauges" {
		last := prometheus.NewGauge(prometheus.GaugeOpts{Name: "demo_last_success_unixtime", Help: "Last success."})
		last.Set(1700000100)
		records := prometheus.NewGauge(prometheus.GaugeOpts{Name: "demo_records_processed", Help: "Records processed."})
		records.Set(42)
		return []prometheus.Collector{last, records}
	}
	jobs := prometheus.NewCounterVec(prometheus.CounterOpts{Name: "demo_jobs_total", Help: "Finished jobs."}, []string{"kind"})
	jobs.WithLabelValues("a").Add(3)
	jobs.WithLabelValues("b").Add(1.5)
	last := prometheus.NewGauge(prometheus.GaugeOpts{Name: "demo_last_success_unixtime", Help: "Last success."})
	last.Set(1700000000.5)
	latency := prometheus.NewHistogram(prometheus.HistogramOpts{
		Name: "demo_latency_seconds", Help: "Latency.", Buckets: []float64{0.1, 1, 10},
	})
	size := prometheus.NewSummary(prometheus.SummaryOpts{
		Name: "demo_batch_size_bytes", Help: "Batch size.",
		Objectives: map[float64]float64{0.5: 0.05, 0.9: 0.01},
	})
	for _, v := range []float64{0.05, 0.5, 5, 50} {
		latency.Observe(v)
	}
	size.Observe(1024)
	size.Observe(4096)
	return []prometheus.Collector{jobs, last, latency, size}
}

var statusPattern = regexp.MustCompile(`unexpected status code (\d+)`)

func main() {
	url := flag.String("url", "", "the gateway's base URL")
	op := flag.String("op", "push", "push, add or delete")
	job := flag.String("job", "", "the job name")
	format := flag.String("format", "proto", "proto (the default of the package) or text")
	gzipped := flag.Bool("gzip", false, "gzip request bodies")
	user := flag.String("user", "", "basic auth user")
	password := flag.String("password", "", "basic auth password")
	set := flag.String("metrics", "all", "all or gauges")
	flag.Parse()

	pusher := push.New(*url, *job)
	for _, collector := range collectors(*set) {
		pusher.Collector(collector)
	}
	for _, pair := range flag.Args() {
		name, value, found := strings.Cut(pair, "=")
		if !found {
			fmt.Fprintf(os.Stderr, "grouping label %q has no '='\n", pair)
			os.Exit(2)
		}
		pusher.Grouping(name, value)
	}
	switch *format {
	case "proto":
	case "text":
		pusher.Format(expfmt.FmtText)
	default:
		fmt.Fprintf(os.Stderr, "unknown format %q\n", *format)
		os.Exit(2)
	}
	if *gzipped {
		pusher.Client(gzipDoer{client: &http.Client{}})
	}
	if *user != "" {
		pusher.BasicAuth(*user, *password)
	}

	var err error
	switch *op {
	case "push":
		err = pusher.Push()
	case "add":
		err = pusher.Add()
	case "delete":
		err = pusher.Delete()
	default:
		fmt.Fprintf(os.Stderr, "unknown operation %q\n", *op)
		os.Exit(2)
	}
	switch {
	case err == nil:
		fmt.Println("ok")
	case statusPattern.MatchString(err.Error()):
		fmt.Printf("status %s\n", statusPattern.FindStringSubmatch(err.Error())[1])
		fmt.Fprintln(os.Stderr, err)
	default:
		fmt.Printf("client error: %s\n", err)
	}
}
