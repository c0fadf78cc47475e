// Package telemetry holds carillon's Prometheus metrics. One Metrics value is
// made at start and handed to every part that counts something; /metrics
// serves its registry.
package telemetry

import (
	"net/http"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"
)

// Metrics are the server's counters, gauges and histograms.
type Metrics struct {
	registry *prometheus.Registry

	HTTPRequests        *prometheus.CounterVec   // route, code
	HTTPRequestDuration *prometheus.HistogramVec // route
	HTTPConnections     prometheus.Gauge
	SendsAccepted       prometheus.Counter
	MessageStatus       *prometheus.CounterVec // status: transitions recorded
	InboundMessages     *prometheus.CounterVec // channel type
	ProviderCalls       *prometheus.CounterVec // provider, result (ok, transient, permanent)
	ProviderDuration    *prometheus.HistogramVec
	SendRetries         prometheus.Counter
	CommitBatchSize     prometheus.Histogram
	CommitBatchesRerun  prometheus.Counter
	WebhookDeliveries   *prometheus.CounterVec // event, result (success, failed, given_up)
	WebhookDuration     prometheus.Histogram
	WebhookChecks       *prometheus.CounterVec // result (ok, failed)
	WebhooksDisabled    prometheus.Counter
	LiveStreams         prometheus.Gauge
	LiveEvents          *prometheus.CounterVec // type (change, presence, reset)
	LiveDelay           prometheus.Histogram
}

// New makes the metrics on a registry of their own, with the Go runtime and
// process collectors.
func New() *Metrics {
	r := prometheus.NewRegistry()
	r.MustRegister(collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	f := func(c prometheus.Collector) { r.MustRegister(c) }
	m := &Metrics{registry: r}
	m.HTTPRequests = prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "carillon_http_requests_total", Help: "API requests answered, by route and status code.",
	}, []string{"route", "code"})
	m.HTTPRequestDuration = prometheus.NewHistogramVec(prometheus.HistogramOpts{
		Name: "carillon_http_request_duration_seconds", Help: "Time to answer API requests, by route.",
		Buckets: []float64{.0005, .001, .0025, .005, .01, .025, .05, .1, .25, .5, 1, 2.5},
	}, []string{"route"})
	m.HTTPConnections = prometheus.NewGauge(prometheus.GaugeOpts{
		Name: "carillon_http_open_connections", Help: "Client connections open to the API, those past --max-connections included.",
	})
	m.SendsAccepted = prometheus.NewCounter(prometheus.CounterOpts{
		Name: "carillon_sends_accepted_total", Help: "Outgoing messages accepted (durably stored and queued).",
	})
	m.MessageStatus = prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "carillon_message_status_total", Help: "Message status transitions recorded, by the status reached.",
	}, []string{"status"})
	m.InboundMessages = prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "carillon_inbound_messages_total", Help: "Inbound customer messages stored, by channel type.",
	}, []string{"channel_type"})
	m.ProviderCalls = prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "carillon_provider_calls_total", Help: "Send attempts made to providers, by provider and result (ok, transient, permanent).",
	}, []string{"provider", "result"})
	m.ProviderDuration = prometheus.NewHistogramVec(prometheus.HistogramOpts{
		Name: "carillon_provider_call_duration_seconds", Help: "Time a provider took to answer a send attempt.",
		Buckets: prometheus.DefBuckets,
	}, []string{"provider"})
	m.SendRetries = prometheus.NewCounter(prometheus.CounterOpts{
		Name: "carillon_send_retries_total", Help: "Send attempts scheduled again after a transient provider error.",
	})
	m.CommitBatchSize = prometheus.NewHistogram(prometheus.HistogramOpts{
		Name: "carillon_commit_batch_size", Help: "Units of work committed together in one store transaction.",
		Buckets: []float64{1, 2, 4, 8, 16, 32, 64, 128, 256},
	})
	m.CommitBatchesRerun = prometheus.NewCounter(prometheus.CounterOpts{
		Name: "carillon_commit_batches_rerun_total", Help: "Store transactions of several units that failed, their units then run again one by one.",
	})
	m.WebhookDeliveries = prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "carillon_webhook_deliveries_total", Help: "Webhook delivery attempts, by event and result (success, failed, given_up).",
	}, []string{"event", "result"})
	m.WebhookDuration = prometheus.NewHistogram(prometheus.HistogramOpts{
		Name: "carillon_webhook_attempt_duration_seconds", Help: "Time a webhook delivery attempt took, answer or not.",
		Buckets: []float64{.001, .0025, .005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5, 10},
	})
	m.WebhookChecks = prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "carillon_webhook_health_checks_total", Help: "Webhook health checks sent, by result (ok, failed).",
	}, []string{"result"})
	m.WebhooksDisabled = prometheus.NewCounter(prometheus.CounterOpts{
		Name: "carillon_webhooks_disabled_total", Help: "Webhooks disabled after too long without a 2xx answer.",
	})
	m.LiveStreams = prometheus.NewGauge(prometheus.GaugeOpts{
		Name: "carillon_live_streams", Help: "Console tabs following the live inbox (GET /inbox/events) on this instance.",
	})
	m.LiveEvents = prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "carillon_live_events_total", Help: "Events sent to the console's live streams, by type (change, presence, reset).",
	}, []string{"type"})
	m.LiveDelay = prometheus.NewHistogram(prometheus.HistogramOpts{
		Name: "carillon_live_delay_seconds", Help: "Time from a chat change being recorded to this instance reading it for its live streams.",
		Buckets: []float64{.001, .0025, .005, .01, .025, .05, .1, .25, .5, 1, 2.5},
	})
	for _, c := range []prometheus.Collector{m.HTTPRequests, m.HTTPRequestDuration, m.HTTPConnections, m.SendsAccepted, m.MessageStatus,
		m.InboundMessages, m.ProviderCalls, m.ProviderDuration, m.SendRetries, m.CommitBatchSize, m.CommitBatchesRerun,
		m.WebhookDeliveries, m.WebhookDuration, m.WebhookChecks, m.WebhooksDisabled, m.LiveStreams, m.LiveEvents, m.LiveDelay} {
		f(c)
	}
	return m
}

// GaugeFunc registers a gauge whose value is read by fn at each scrape.
func (m *Metrics) GaugeFunc(name, help string, fn func() float64) {
	m.registry.MustRegister(prometheus.NewGaugeFunc(prometheus.GaugeOpts{Name: name, Help: help}, fn))
}

// Handler serves the metrics in Prometheus text format.
func (m *Metrics) Handler() http.Handler {
	return promhttp.HandlerFor(m.registry, promhttp.HandlerOpts{})
}
