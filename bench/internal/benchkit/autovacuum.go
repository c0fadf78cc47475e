package benchkit

import (
	"context"
	"database/sql"
	"fmt"
	"strconv"
	"sync"
	"time"
)

// AutovacuumOff reports whether the PostgreSQL server's autovacuum is off.
// Some test and CI servers turn it off. There, the tables that churn
// (a message row is updated three times, a webhook event twice) keep every
// dead row version, and a run of several phases ends up measuring their
// growth more than carillon: every index scan steps over the dead entries.
func AutovacuumOff(ctx context.Context, databaseURL string) (bool, error) {
	db, err := sql.Open("pgx", databaseURL)
	if err != nil {
		return false, err
	}
	defer db.Close()
	var setting string
	if err := db.QueryRowContext(ctx, "SHOW autovacuum").Scan(&setting); err != nil {
		return false, fmt.Errorf("postgres: SHOW autovacuum: %w", err)
	}
	return setting == "off", nil
}

// StandInAutovacuum does for the tables of one schema what PostgreSQL's
// autovacuum daemon does, on a server where it is off: every
// autovacuum_naptime it vacuums (and analyzes) each table whose dead rows,
// rows inserted since the last vacuum or rows changed since the last
// analyze pass the server's own autovacuum thresholds, throttled by the
// server's autovacuum cost settings, one table at a time as one worker
// would. All of those are read from the server, so a run measures
// carillon as it runs on a server with the default settings.
//
// stop ends it (cancelling a vacuum under way) and returns how many tables
// it vacuumed or analyzed.
func StandInAutovacuum(ctx context.Context, databaseURL, schema string, logf Logf) (stop func() int, err error) {
	db, err := sql.Open("pgx", databaseURL)
	if err != nil {
		return nil, err
	}
	set, err := readAutovacuumSettings(ctx, db)
	if err != nil {
		db.Close()
		return nil, err
	}
	ctx, cancel := context.WithCancel(ctx)
	var wg sync.WaitGroup
	runs := 0
	wg.Go(func() {
		defer db.Close()
		tick := time.NewTicker(set.naptime)
		defer tick.Stop()
		for {
			select {
			case <-ctx.Done():
				return
			case <-tick.C:
			}
			n, err := set.pass(ctx, db, schema)
			runs += n
			if err != nil && ctx.Err() == nil {
				logf("stand-in autovacuum: %v", err)
			}
		}
	})
	logf("autovacuum is off on the server: vacuuming schema %s every %s as it would", schema, set.naptime)
	return func() int {
		cancel()
		wg.Wait()
		return runs
	}, nil
}

// autovacuumSettings are the server's autovacuum thresholds and costs
// (readable, and set to their defaults, even while autovacuum is off).
type autovacuumSettings struct {
	naptime                        time.Duration
	vacuumThreshold, vacuumScale   float64
	insertThreshold, insertScale   float64
	analyzeThreshold, analyzeScale float64
	costDelay                      string // with its unit
	costLimit                      int
}

func readAutovacuumSettings(ctx context.Context, db *sql.DB) (autovacuumSettings, error) {
	rows, err := db.QueryContext(ctx, `SELECT name, setting, COALESCE(unit, '') FROM pg_settings WHERE name IN
		('autovacuum_naptime', 'autovacuum_vacuum_threshold', 'autovacuum_vacuum_scale_factor',
		 'autovacuum_vacuum_insert_threshold', 'autovacuum_vacuum_insert_scale_factor',
		 'autovacuum_analyze_threshold', 'autovacuum_analyze_scale_factor',
		 'autovacuum_vacuum_cost_delay', 'autovacuum_vacuum_cost_limit', 'vacuum_cost_limit')`)
	if err != nil {
		return autovacuumSettings{}, fmt.Errorf("postgres: reading autovacuum settings: %w", err)
	}
	defer rows.Close()
	values := map[string]float64{}
	units := map[string]string{}
	for rows.Next() {
		var name, setting, unit string
		if err := rows.Scan(&name, &setting, &unit); err != nil {
			return autovacuumSettings{}, err
		}
		v, err := strconv.ParseFloat(setting, 64)
		if err != nil {
			return autovacuumSettings{}, fmt.Errorf("postgres: %s = %q: %w", name, setting, err)
		}
		values[name], units[name] = v, unit
	}
	if err := rows.Err(); err != nil {
		return autovacuumSettings{}, err
	}
	if len(values) != 10 {
		return autovacuumSettings{}, fmt.Errorf("postgres: %d of the 10 autovacuum settings found (PostgreSQL 13 or later needed)", len(values))
	}
	set := autovacuumSettings{
		naptime:          time.Duration(values["autovacuum_naptime"]) * time.Second, // unit s
		vacuumThreshold:  values["autovacuum_vacuum_threshold"],
		vacuumScale:      values["autovacuum_vacuum_scale_factor"],
		insertThreshold:  values["autovacuum_vacuum_insert_threshold"],
		insertScale:      values["autovacuum_vacuum_insert_scale_factor"],
		analyzeThreshold: values["autovacuum_analyze_threshold"],
		analyzeScale:     values["autovacuum_analyze_scale_factor"],
		costDelay:        strconv.FormatFloat(values["autovacuum_vacuum_cost_delay"], 'f', -1, 64) + units["autovacuum_vacuum_cost_delay"],
		costLimit:        int(values["autovacuum_vacuum_cost_limit"]),
	}
	if set.costLimit <= 0 { // -1: vacuum_cost_limit's
		set.costLimit = int(values["vacuum_cost_limit"])
	}
	if set.insertThreshold < 0 { // -1: no vacuum for inserts
		set.insertThreshold, set.insertScale = -1, 0
	}
	return set, nil
}

// pass vacuums or analyzes, one after the other, the tables of schema that
// pass the thresholds, as one autovacuum worker's visit would.
func (set autovacuumSettings) pass(ctx context.Context, db *sql.DB, schema string) (int, error) {
	rows, err := db.QueryContext(ctx, `SELECT s.relname, s.n_dead_tup, s.n_ins_since_vacuum, s.n_mod_since_analyze, GREATEST(c.reltuples, 0)
		FROM pg_stat_user_tables s JOIN pg_class c ON c.oid = s.relid WHERE s.schemaname = $1 ORDER BY s.relname`, schema)
	if err != nil {
		return 0, err
	}
	type table struct {
		name                    string
		dead, inserted, changed float64
		tuples                  float64
	}
	var tables []table
	for rows.Next() {
		var t table
		if err := rows.Scan(&t.name, &t.dead, &t.inserted, &t.changed, &t.tuples); err != nil {
			rows.Close()
			return 0, err
		}
		tables = append(tables, t)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return 0, err
	}
	conn, err := db.Conn(ctx)
	if err != nil {
		return 0, err
	}
	defer conn.Close()
	if _, err := conn.ExecContext(ctx, fmt.Sprintf("SET vacuum_cost_delay = '%s'; SET vacuum_cost_limit = %d", set.costDelay, set.costLimit)); err != nil {
		return 0, err
	}
	n := 0
	for _, t := range tables {
		vacuum := t.dead > set.vacuumThreshold+set.vacuumScale*t.tuples ||
			set.insertThreshold >= 0 && t.inserted > set.insertThreshold+set.insertScale*t.tuples
		analyze := t.changed > set.analyzeThreshold+set.analyzeScale*t.tuples
		var stmt string
		switch {
		case vacuum && analyze:
			stmt = "VACUUM (ANALYZE) "
		case vacuum:
			stmt = "VACUUM "
		case analyze:
			stmt = "ANALYZE "
		default:
			continue
		}
		if _, err := conn.ExecContext(ctx, stmt+schema+"."+t.name); err != nil {
			return n, fmt.Errorf("%s%s: %w", stmt, t.name, err)
		}
		n++
	}
	return n, nil
}
