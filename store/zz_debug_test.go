package store

import (
	"context"
	"database/sql"
	"net/url"
	"path/filepath"
	"sync"
	"testing"
)

func TestZZDebugOpen(t *testing.T) {
	for iter := range 30 {
		dir := t.TempDir()
		file := filepath.Join(dir, "x.db")
		var wg sync.WaitGroup
		for i := range 4 {
			wg.Go(func() {
				v := url.Values{}
				for _, p := range []string{"busy_timeout(10000)", "foreign_keys(1)", "journal_mode(WAL)", "synchronous(FULL)"} {
					v.Add("_pragma", p)
				}
				db, _ := sql.Open("sqlite", "file:"+file+"?"+v.Encode()+"&_txlock=immediate")
				defer db.Close()
				c, err := db.Conn(context.Background())
				if err != nil {
					t.Errorf("iter %d conn %d: %v", iter, i, err)
					return
				}
				c.Close()
			})
		}
		wg.Wait()
	}
}
