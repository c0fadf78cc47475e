package store

import (
	"fmt"
	"strconv"
	"sync/atomic"
	"testing"
	"time"

	"github.com/carillon/carillon"
)

// BenchmarkContactCountShards creates contacts on PostgreSQL from 4
// goroutines per CPU at once, each contact in a transaction of its own,
// with the channel's count kept in one row and in contactCountShards rows:
// what the rows' locks cost writers that commit at the same time. It
// measures, it asserts nothing.
//
//	CARILLON_TEST_DATABASE_URL=postgres://... go test ./store -run '^$' -bench ContactCountShards -benchtime 3s
func BenchmarkContactCountShards(b *testing.B) {
	defer func(n int) { contactCountShards = n }(contactCountShards)
	for _, shards := range []int{1, contactCountShards} {
		b.Run(strconv.Itoa(shards), func(b *testing.B) {
			contactCountShards = shards
			_, u, _ := PostgresTestSchema(b)
			ctx := b.Context()
			db, err := OpenPostgres(ctx, u, plainSealer{})
			if err != nil {
				b.Fatal(err)
			}
			defer db.Close()
			now := time.Now()
			a := carillon.Account{UUID: carillon.NewUUID(), Name: "bench", CreatedAt: now}
			if err := db.CreateAccount(ctx, &a); err != nil {
				b.Fatal(err)
			}
			ch := carillon.Channel{UUID: carillon.NewUUID(), AccountID: a.ID, Title: "bench", Type: carillon.WhatsApp,
				Provider: carillon.ProviderSandbox, CreatedAt: now, UpdatedAt: now}
			if err := db.CreateChannel(ctx, &ch); err != nil {
				b.Fatal(err)
			}
			var n atomic.Int64
			b.SetParallelism(4)
			b.ResetTimer()
			b.RunParallel(func(pb *testing.PB) {
				for pb.Next() {
					c := carillon.Contact{UUID: carillon.NewUUID(), AccountID: a.ID, ChannelID: ch.ID, Address: fmt.Sprintf("49%010d", n.Add(1)),
						ConversationUUID: carillon.NewUUID(), CreatedAt: now, UpdatedAt: now}
					if err := db.CreateContact(ctx, &c); err != nil {
						b.Error(err)
						return
					}
				}
			})
		})
	}
}
