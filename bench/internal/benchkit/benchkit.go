// Package benchkit holds what the benchmarks that run the real `carillon
// serve` share: a store to fill through package store (SQLite in a data
// folder, or PostgreSQL in a schema of its own), rows written in batches,
// a free port, waiting for /readyz, and signing in with the console's
// sign-in form.
package benchkit

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"io"
	"math"
	"net"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"

	_ "github.com/jackc/pgx/v5/stdlib" // makes the benchmark's schema
	_ "modernc.org/sqlite"             // counts a SQLite store's messages

	"github.com/carillon/carillon"
	"github.com/carillon/carillon/secretbox"
	"github.com/carillon/carillon/store"
)

// Logf prints a line of progress.
type Logf func(format string, args ...any)

// OpenStore opens the store serve will open: SQLite in data, or the
// PostgreSQL at databaseURL (when not empty), with the data folder's
// secret.key (made if missing) as serve does.
func OpenStore(ctx context.Context, data, databaseURL string) (*store.DB, error) {
	key, err := secretbox.LoadOrCreateKeyFile(filepath.Join(data, "secret.key"))
	if err != nil {
		return nil, err
	}
	box, err := secretbox.New(key)
	if err != nil {
		return nil, err
	}
	if databaseURL != "" {
		return store.OpenPostgres(ctx, databaseURL, box)
	}
	return store.OpenSQLite(ctx, data, box)
}

// FreshSchema makes the schema a benchmark works in (dropped first if it
// exists), and returns the URL that puts every connection in it (pgx
// sends unknown settings as run-time parameters) and a function that
// drops it (or, with keep, says it was kept).
func FreshSchema(ctx context.Context, databaseURL, schema string, keep bool, logf Logf) (string, func(), error) {
	if !regexp.MustCompile(`^[a-z_][a-z0-9_]*$`).MatchString(schema) || schema == "public" {
		return "", nil, fmt.Errorf("-schema %q: lower-case letters, digits and _, not public", schema)
	}
	admin, err := sql.Open("pgx", databaseURL)
	if err != nil {
		return "", nil, err
	}
	if _, err := admin.ExecContext(ctx, "DROP SCHEMA IF EXISTS "+schema+" CASCADE; CREATE SCHEMA "+schema); err != nil {
		admin.Close()
		return "", nil, fmt.Errorf("postgres: making schema %s: %w", schema, err)
	}
	u, err := SchemaURL(databaseURL, schema)
	if err != nil {
		admin.Close()
		return "", nil, err
	}
	return u, func() {
		if keep {
			logf("kept schema %s", schema)
		} else if _, err := admin.ExecContext(context.Background(), "DROP SCHEMA "+schema+" CASCADE"); err != nil {
			logf("dropping schema %s: %v", schema, err)
		}
		admin.Close()
	}, nil
}

// SchemaURL is databaseURL with every connection put in schema.
func SchemaURL(databaseURL, schema string) (string, error) {
	u, err := url.Parse(databaseURL)
	if err != nil {
		return "", fmt.Errorf("-database-url: %w", err)
	}
	q := u.Query()
	q.Set("search_path", schema)
	u.RawQuery = q.Encode()
	return u.String(), nil
}

// Vacuum runs VACUUM ANALYZE on each table of the schema, as autovacuum
// does on a store in use: a store filled at once has neither the
// statistics its planner reads nor the visibility map that lets an index
// answer without the table.
func Vacuum(ctx context.Context, schemaURL, schema string, logf Logf) error {
	logf("VACUUM ANALYZE of the tables of schema %s", schema)
	db, err := sql.Open("pgx", schemaURL)
	if err != nil {
		return err
	}
	defer db.Close()
	rows, err := db.QueryContext(ctx, "SELECT tablename FROM pg_tables WHERE schemaname = $1", schema)
	if err != nil {
		return err
	}
	var tables []string
	for rows.Next() {
		var t string
		if err := rows.Scan(&t); err != nil {
			rows.Close()
			return err
		}
		tables = append(tables, t)
	}
	rows.Close()
	for _, t := range tables {
		if _, err := db.ExecContext(ctx, "VACUUM (ANALYZE) "+schema+"."+t); err != nil {
			return fmt.Errorf("VACUUM ANALYZE %s: %w", t, err)
		}
	}
	return nil
}

// InBatches calls write for 0..n-1, batch calls to a transaction.
func InBatches(ctx context.Context, db *store.DB, n, batch int, logf Logf, write func(q carillon.Queries, i int) error) error {
	batch = max(batch, 1)
	start := time.Now()
	for from := 0; from < n; from += batch {
		to := min(from+batch, n)
		if err := db.InTx(ctx, func(q carillon.Queries) error {
			for i := from; i < to; i++ {
				if err := write(q, i); err != nil {
					return err
				}
			}
			return nil
		}); err != nil {
			return err
		}
		if to%(batch*20) == 0 || to == n {
			logf("  %d of %d (%.0f/s)", to, n, float64(to)/time.Since(start).Seconds())
		}
	}
	return nil
}

// WorkDir is dir, made when missing, or when dir is "" a new temporary
// directory named after name, which done removes unless keep is set.
func WorkDir(dir, name string, keep bool, logf Logf) (string, func(), error) {
	if dir != "" {
		return dir, func() {}, os.MkdirAll(dir, 0o700)
	}
	dir, err := os.MkdirTemp("", "carillon-"+name+"-")
	if err != nil {
		return "", nil, err
	}
	return dir, func() {
		if keep {
			logf("kept %s", dir)
		} else {
			os.RemoveAll(dir)
		}
	}, nil
}

// Binary is bin, or when bin is "" the package pkg of the repository
// (./cmd/carillon, ./bench/ceiling) built into dir/file.
func Binary(ctx context.Context, bin, dir, file, pkg string, logf Logf) (string, error) {
	if bin != "" {
		return bin, nil
	}
	bin = filepath.Join(dir, file)
	logf("building %s", bin)
	if out, err := exec.CommandContext(ctx, "go", "build", "-o", bin, pkg).CombinedOutput(); err != nil {
		return "", fmt.Errorf("go build %s (run from the repository's root): %v\n%s", pkg, err, out)
	}
	return bin, nil
}

// Serve starts `carillon serve` (bin) on a free loopback address, for
// benchmarks (--log-level warn --rate-limit 0 --sandbox-delay 0, then
// storeArgs), its output in dir/serve.log, and waits until it is ready. It
// returns the server's base URL, its process id and stop, which ends it.
func Serve(ctx context.Context, bin, dir string, storeArgs ...string) (string, int, func(), error) {
	addr, err := FreeAddr()
	if err != nil {
		return "", 0, nil, err
	}
	logPath := filepath.Join(dir, "serve.log")
	logFile, err := os.Create(logPath)
	if err != nil {
		return "", 0, nil, err
	}
	srv := exec.Command(bin, append([]string{"serve", "--addr", addr, "--log-level", "warn", "--rate-limit", "0", "--sandbox-delay", "0"}, storeArgs...)...)
	srv.Stdout, srv.Stderr = logFile, logFile
	if err := srv.Start(); err != nil {
		logFile.Close()
		return "", 0, nil, err
	}
	stop := func() {
		_ = srv.Process.Signal(syscall.SIGTERM)
		_ = srv.Wait()
		logFile.Close()
	}
	base := "http://" + addr
	if err := WaitReady(ctx, base); err != nil {
		stop()
		return "", 0, nil, fmt.Errorf("%w (see %s)", err, logPath)
	}
	return base, srv.Process.Pid, stop, nil
}

// Ceiling starts bench/ceiling (bin, or built into dir), the server that
// does nothing, on a free loopback address, and waits until it is ready.
// Its GET /readyz, requested the way a benchmark requests carillon's
// pages, is what the machine answers at best at that moment. It returns
// the base URL and stop, which ends it.
func Ceiling(ctx context.Context, bin, dir string, logf Logf) (string, func(), error) {
	bin, err := Binary(ctx, bin, dir, "ceiling", "./bench/ceiling", logf)
	if err != nil {
		return "", nil, err
	}
	addr, err := FreeAddr()
	if err != nil {
		return "", nil, err
	}
	srv := exec.Command(bin, "-addr", addr)
	if err := srv.Start(); err != nil {
		return "", nil, err
	}
	stop := func() {
		_ = srv.Process.Signal(syscall.SIGTERM)
		_ = srv.Wait()
	}
	base := "http://" + addr
	if err := WaitReady(ctx, base); err != nil {
		stop()
		return "", nil, err
	}
	return base, stop, nil
}

// FreeAddr is a free address on 127.0.0.1.
func FreeAddr() (string, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", err
	}
	defer ln.Close()
	return ln.Addr().String(), nil
}

// WaitReady waits until base's GET /readyz answers 200, two minutes at
// most.
func WaitReady(ctx context.Context, base string) error {
	deadline := time.Now().Add(2 * time.Minute)
	for time.Now().Before(deadline) {
		resp, err := http.Get(base + "/readyz")
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return nil
			}
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(100 * time.Millisecond):
		}
	}
	return fmt.Errorf("%s/readyz did not answer 200 within 2 minutes", base)
}

var csrfField = regexp.MustCompile(`name="csrf" value="([^"]+)"`)

// SignIn signs in as a person does, with the sign-in page's form, and
// returns the session cookie ("name=value").
func SignIn(ctx context.Context, base, email, password string) (string, error) {
	noRedirect := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	req, _ := http.NewRequestWithContext(ctx, http.MethodGet, base+"/sign-in", nil)
	resp, err := noRedirect.Do(req)
	if err != nil {
		return "", err
	}
	page, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	m := csrfField.FindSubmatch(page)
	if m == nil {
		return "", errors.New("no csrf field on /sign-in")
	}
	form := url.Values{"csrf": {string(m[1])}, "email": {email}, "password": {password}}
	req, _ = http.NewRequestWithContext(ctx, http.MethodPost, base+"/sign-in", strings.NewReader(form.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	for _, ck := range resp.Cookies() {
		req.AddCookie(ck)
	}
	resp, err = noRedirect.Do(req)
	if err != nil {
		return "", err
	}
	resp.Body.Close()
	for _, ck := range resp.Cookies() {
		if ck.Name == "carillon_session" && ck.Value != "" {
			return ck.Name + "=" + ck.Value, nil
		}
	}
	return "", fmt.Errorf("no session cookie (status %d)", resp.StatusCode)
}

// Rank is the nearest-rank percentile p (0..1) of sorted durations, in ms.
func Rank(sorted []time.Duration, p float64) float64 {
	if len(sorted) == 0 {
		return 0
	}
	i := int(math.Ceil(p*float64(len(sorted)))) - 1
	return float64(sorted[max(i, 0)]) / float64(time.Millisecond)
}

// StoreSize is the size on disk of the store serve uses (SQLite: the
// database file and its write-ahead log in data; PostgreSQL at
// databaseURL: the tables of the connection's current schema with their
// indexes and TOAST) and the number of messages it holds.
func StoreSize(ctx context.Context, data, databaseURL string) (bytes, messages int64, err error) {
	driver, dsn := "sqlite", "file:"+filepath.Join(data, store.SQLiteFile)+"?mode=ro"
	if databaseURL != "" {
		driver, dsn = "pgx", databaseURL
	}
	db, err := sql.Open(driver, dsn)
	if err != nil {
		return 0, 0, err
	}
	defer db.Close()
	if err := db.QueryRowContext(ctx, "SELECT COUNT(*) FROM messages").Scan(&messages); err != nil {
		return 0, 0, fmt.Errorf("counting messages: %w", err)
	}
	if databaseURL != "" {
		err = db.QueryRowContext(ctx, `SELECT COALESCE(SUM(pg_total_relation_size(c.oid)), 0)::bigint FROM pg_class c
			JOIN pg_namespace n ON n.oid = c.relnamespace WHERE n.nspname = current_schema() AND c.relkind = 'r'`).Scan(&bytes)
		return bytes, messages, err
	}
	for _, name := range []string{store.SQLiteFile, store.SQLiteFile + "-wal"} {
		if fi, err := os.Stat(filepath.Join(data, name)); err == nil {
			bytes += fi.Size()
		}
	}
	return bytes, messages, nil
}

// CPUTime is the CPU time process pid has used so far, user and system
// (/proc/<pid>/stat).
func CPUTime(pid int) (time.Duration, error) {
	st, err := readProcStat(strconv.Itoa(pid))
	if err != nil {
		return 0, err
	}
	return time.Duration(st.cpuTicks) * clockTick, nil
}

// clockTick is the unit of /proc's times on Linux: 1/100 s.
const clockTick = 10 * time.Millisecond

// procStat is what the benchmarks read of /proc/<pid>/stat.
type procStat struct {
	command   string
	cpuTicks  int64 // user and system
	startTick int64 // since boot
}

// readProcStat reads /proc/<pid>/stat. The command name, in parentheses,
// may hold spaces: the fields are counted after its closing parenthesis
// (state is field 3, utime 14, stime 15, starttime 22).
func readProcStat(pid string) (procStat, error) {
	b, err := os.ReadFile("/proc/" + pid + "/stat")
	if err != nil {
		return procStat{}, err
	}
	s := string(b)
	open, end := strings.IndexByte(s, '('), strings.LastIndexByte(s, ')')
	if open < 0 || end < open {
		return procStat{}, errors.New("no command in /proc stat")
	}
	f := strings.Fields(s[end+1:])
	if len(f) < 20 {
		return procStat{}, errors.New("short /proc stat")
	}
	var n [3]int64
	for i, field := range []string{f[11], f[12], f[19]} {
		if n[i], err = strconv.ParseInt(field, 10, 64); err != nil {
			return procStat{}, err
		}
	}
	return procStat{command: s[open+1 : end], cpuTicks: n[0] + n[1], startTick: n[2]}, nil
}

// VmRSS is the resident memory of process pid (/proc/<pid>/status), in
// KiB.
func VmRSS(pid int) (int, error) {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return 0, err
	}
	for line := range strings.SplitSeq(string(b), "\n") {
		if v, ok := strings.CutPrefix(line, "VmRSS:"); ok {
			return strconv.Atoi(strings.TrimSuffix(strings.TrimSpace(v), " kB"))
		}
	}
	return 0, errors.New("no VmRSS")
}

// SaveCPUProfile saves a CPU profile of seconds of the server whose
// pprof listener (serve --pprof-addr) is at addr into path.
func SaveCPUProfile(ctx context.Context, addr string, seconds int, path string) error {
	u := fmt.Sprintf("http://%s/debug/pprof/profile?seconds=%d", addr, seconds)
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u, nil)
	if err != nil {
		return err
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("%s: %s", u, resp.Status)
	}
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	_, err = io.Copy(f, resp.Body)
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	return err
}

// CPUWatch sums the CPU time of every process of one command name on this
// machine: PostgreSQL's server, whose backends come and go with the
// connections. It samples /proc every 100 ms, so a process that exits
// loses at most its last 100 ms; a process started after the watch began
// counts from its start.
type CPUWatch struct {
	command string
	born    int64 // clock ticks since boot when the watch began
	stop    chan struct{}
	done    chan struct{}

	mu   sync.Mutex
	seen map[watchedProcess]watchedCPU
}

// watchedProcess is a process by its pid and start time (a pid is reused).
type watchedProcess struct {
	pid       string
	startTick int64
}

type watchedCPU struct{ first, last int64 } // in clock ticks

// WatchCPU starts a CPUWatch of the processes named command.
func WatchCPU(command string) (*CPUWatch, error) {
	up, err := os.ReadFile("/proc/uptime")
	if err != nil {
		return nil, err
	}
	secs, err := strconv.ParseFloat(strings.Fields(string(up))[0], 64)
	if err != nil {
		return nil, err
	}
	w := &CPUWatch{command: command, born: int64(secs * float64(time.Second/clockTick)), stop: make(chan struct{}), done: make(chan struct{}),
		seen: map[watchedProcess]watchedCPU{}}
	w.sample()
	go func() {
		defer close(w.done)
		t := time.NewTicker(100 * time.Millisecond)
		defer t.Stop()
		for {
			select {
			case <-w.stop:
				return
			case <-t.C:
				w.sample()
			}
		}
	}()
	return w, nil
}

func (w *CPUWatch) sample() {
	entries, err := os.ReadDir("/proc")
	if err != nil {
		return
	}
	w.mu.Lock()
	defer w.mu.Unlock()
	for _, e := range entries {
		pid := e.Name()
		if pid[0] < '0' || pid[0] > '9' {
			continue
		}
		st, err := readProcStat(pid)
		if err != nil || st.command != w.command {
			continue
		}
		p := watchedProcess{pid, st.startTick}
		c, ok := w.seen[p]
		if !ok {
			c.first = st.cpuTicks
			if st.startTick >= w.born {
				c.first = 0
			}
		}
		c.last = st.cpuTicks
		w.seen[p] = c
	}
}

// Total is the CPU time the watched processes used since the watch began,
// up to the last sample, taken now.
func (w *CPUWatch) Total() time.Duration {
	w.sample()
	w.mu.Lock()
	defer w.mu.Unlock()
	var ticks int64
	for _, c := range w.seen {
		ticks += c.last - c.first
	}
	return time.Duration(ticks) * clockTick
}

// Stop ends the watch.
func (w *CPUWatch) Stop() {
	close(w.stop)
	<-w.done
}

// LoopbackDatabase reports whether the PostgreSQL URL names this machine
// (a loopback address, localhost, or a Unix socket), where its processes
// can be watched.
func LoopbackDatabase(databaseURL string) (bool, error) {
	u, err := url.Parse(databaseURL)
	if err != nil {
		return false, fmt.Errorf("database URL: %w", err)
	}
	host := u.Hostname()
	if host == "" || host == "localhost" || strings.HasPrefix(host, "/") {
		return true, nil
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback(), nil
}
