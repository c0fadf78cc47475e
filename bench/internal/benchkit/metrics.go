package benchkit

import (
	"bufio"
	"crypto/hmac"
	"errors"
	"io"
	"math"
	"strconv"
	"strings"

	"github.com/carillon/carillon/webhook"
)

// Metric is one series of a Prometheus text exposition: its name, labels
// and value.
type Metric struct {
	Name   string
	Labels map[string]string
	Value  float64
}

// ParseMetrics reads Prometheus's text exposition format (what carillon's
// GET /metrics serves) and returns its series; comments and lines it cannot
// read are skipped.
func ParseMetrics(r io.Reader) ([]Metric, error) {
	var out []Metric
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 64*1024), 4<<20)
	for sc.Scan() {
		line := strings.TrimSpace(sc.Text())
		if line == "" || line[0] == '#' {
			continue
		}
		if m, ok := parseLine(line); ok {
			out = append(out, m)
		}
	}
	return out, sc.Err()
}

// Sum is the sum of the series named name whose labels include every pair
// of want (nil: every series of that name), and whether there was one.
func Sum(metrics []Metric, name string, want map[string]string) (float64, bool) {
	var sum float64
	seen := false
next:
	for _, m := range metrics {
		if m.Name != name {
			continue
		}
		for k, v := range want {
			if m.Labels[k] != v {
				continue next
			}
		}
		sum += m.Value
		seen = true
	}
	return sum, seen
}

// parseLine splits `name{l1="v1",l2="v2"} value [timestamp]`.
func parseLine(line string) (Metric, bool) {
	i := strings.IndexAny(line, "{ \t")
	if i <= 0 {
		return Metric{}, false
	}
	m := Metric{Name: line[:i]}
	rest := line[i:]
	if rest[0] == '{' {
		var err error
		m.Labels, rest, err = parseLabels(rest[1:])
		if err != nil {
			return Metric{}, false
		}
	}
	fields := strings.Fields(rest)
	if len(fields) == 0 {
		return Metric{}, false
	}
	v, err := parseValue(fields[0])
	if err != nil {
		return Metric{}, false
	}
	m.Value = v
	return m, true
}

// parseLabels reads `l1="v1",l2="v2"}` and returns the labels and what
// follows the closing brace.
func parseLabels(s string) (map[string]string, string, error) {
	labels := map[string]string{}
	for {
		s = strings.TrimLeft(s, " \t,")
		if s == "" {
			return nil, "", errors.New("unterminated labels")
		}
		if s[0] == '}' {
			return labels, s[1:], nil
		}
		eq := strings.IndexByte(s, '=')
		if eq <= 0 {
			return nil, "", errors.New("label without value")
		}
		key := strings.TrimSpace(s[:eq])
		s = strings.TrimLeft(s[eq+1:], " \t")
		if s == "" || s[0] != '"' {
			return nil, "", errors.New("unquoted label value")
		}
		var b strings.Builder
		j := 1
		for ; j < len(s) && s[j] != '"'; j++ {
			c := s[j]
			if c == '\\' && j+1 < len(s) {
				j++
				switch s[j] {
				case 'n':
					c = '\n'
				default: // \\ and \"
					c = s[j]
				}
			}
			b.WriteByte(c)
		}
		if j >= len(s) {
			return nil, "", errors.New("unterminated label value")
		}
		labels[key] = b.String()
		s = s[j+1:]
	}
}

func parseValue(s string) (float64, error) {
	switch s {
	case "+Inf", "Inf":
		return math.Inf(1), nil
	case "-Inf":
		return math.Inf(-1), nil
	case "NaN":
		return math.NaN(), nil
	}
	return strconv.ParseFloat(s, 64)
}

// ValidSignature checks a Standard Webhooks signature header, as a
// receiver of carillon's webhooks does: one or more space-separated
// "v1,<base64>", of which one must be that of id, ts and body with secret.
func ValidSignature(secret, id, ts, header string, body []byte) bool {
	want := []byte(webhook.Sign(secret, id, ts, body))
	for _, s := range strings.Fields(header) {
		if hmac.Equal([]byte(s), want) {
			return true
		}
	}
	return false
}
