package main

import (
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"strings"

	"github.com/sfcdc/sfcdc/engine"
	"github.com/sfcdc/sfcdc/pubsub"
	"github.com/sfcdc/sfcdc/quote"
	"github.com/sfcdc/sfcdc/redact"
	"github.com/spf13/cobra"
)

func newSubscribeCommand() *cobra.Command {
	var topic, from, configPath string
	var limit int
	cmd := &cobra.Command{
		Use:   "subscribe --topic T [--from latest|earliest|<replay-id-hex>] [--limit N]",
		Short: "Print a topic's change events as JSON lines",
		Long: "Subscribes to one Pub/Sub API topic and prints each event as one JSON object per line:\n" +
			"topic, replay_id (hex), schema_id, header (ChangeEventHeader with field lists expanded) and fields.\n" +
			"SIGINT (Ctrl-C) or SIGTERM stops it with exit code 0.\n" +
			"Connection settings come from --config or SFCDC_PUBSUB_ADDR, SFCDC_ACCESS_TOKEN, SFCDC_INSTANCE_URL,\n" +
			"SFCDC_TENANT_ID, SFCDC_CA_FILE and SFCDC_INSECURE.",
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if topic == "" {
				return usageError{errors.New("--topic is required, e.g. --topic /data/EmailMessageChangeEvent")}
			}
			if limit < 0 {
				return usageError{fmt.Errorf("--limit %d: want a number of events, or 0 to run until interrupted", limit)}
			}
			start, err := parseStart(from)
			if err != nil {
				return err
			}
			conn, err := loadConnection(cmd.Context(), configPath)
			if err != nil {
				return err
			}
			cfg := conn.PubSubConfig()
			cfg.Logger = redact.TextLogger(cmd.ErrOrStderr(), slog.LevelWarn)
			client, err := pubsub.NewClient(cfg, engine.Credentials(conn, slog.Default()))
			if err != nil {
				return err
			}
			defer client.Close()
			return printEvents(cmd, client.Subscribe(cmd.Context(), topic, start), limit)
		},
	}
	cmd.Flags().StringVar(&topic, "topic", "", "topic to subscribe to, e.g. /data/CaseChangeEvent")
	cmd.Flags().StringVar(&from, "from", "latest", "start: latest, earliest, or a replay ID in hex (delivery starts after it)")
	cmd.Flags().IntVar(&limit, "limit", 0, "exit after this many events (0: run until interrupted)")
	cmd.Flags().StringVar(&configPath, "config", "", "configuration file (YAML)")
	return cmd
}

func parseStart(from string) (pubsub.Start, error) {
	switch strings.ToLower(from) {
	case "latest", "":
		return pubsub.Start{Preset: pubsub.Latest}, nil
	case "earliest":
		return pubsub.Start{Preset: pubsub.Earliest}, nil
	}
	id, err := hex.DecodeString(strings.TrimPrefix(from, "0x"))
	if err != nil || len(id) == 0 {
		return pubsub.Start{}, usageError{fmt.Errorf("--from %s: want latest, earliest or a replay ID in hex (as printed in replay_id)", quote.Value(from))}
	}
	return pubsub.After(id), nil
}

func printEvents(cmd *cobra.Command, sub *pubsub.Subscription, limit int) error {
	defer sub.Stop()
	out := json.NewEncoder(cmd.OutOrStdout())
	out.SetEscapeHTML(false)
	printed := 0
	for m := range sub.Messages() {
		switch {
		case m.Poison != nil:
			fmt.Fprintf(cmd.ErrOrStderr(), "skipped undecodable event %x: %v\n", m.Poison.ReplayID, m.Poison)
		case m.Event != nil:
			if err := out.Encode(eventJSON(m.Event)); err != nil {
				return fmt.Errorf("write event: %w", err)
			}
			printed++
		}
		sub.Release(m)
		if limit > 0 && printed >= limit {
			return nil
		}
	}
	if err := sub.Err(); err != nil {
		return err
	}
	return cmd.Context().Err()
}

// eventLine is the printed form of an event.
type eventLine struct {
	Topic    string         `json:"topic"`
	ReplayID string         `json:"replay_id"`
	SchemaID string         `json:"schema_id"`
	Header   *headerJSON    `json:"header,omitempty"`
	Fields   map[string]any `json:"fields"`
}

// headerJSON uses Salesforce's own field names.
type headerJSON struct {
	EntityName      string   `json:"entityName"`
	RecordIDs       []string `json:"recordIds"`
	ChangeType      string   `json:"changeType"`
	ChangeOrigin    string   `json:"changeOrigin"`
	TransactionKey  string   `json:"transactionKey"`
	SequenceNumber  int32    `json:"sequenceNumber"`
	CommitTimestamp int64    `json:"commitTimestamp"`
	CommitNumber    int64    `json:"commitNumber"`
	CommitUser      string   `json:"commitUser"`
	NulledFields    []string `json:"nulledFields"`
	DiffFields      []string `json:"diffFields"`
	ChangedFields   []string `json:"changedFields"`
}

func eventJSON(ev *pubsub.Event) eventLine {
	line := eventLine{Topic: ev.Topic, ReplayID: hex.EncodeToString(ev.ReplayID), SchemaID: ev.SchemaID, Fields: ev.Fields}
	if h := ev.Header; h != nil {
		line.Header = &headerJSON{
			EntityName: h.EntityName, RecordIDs: h.RecordIDs, ChangeType: h.ChangeType, ChangeOrigin: h.ChangeOrigin,
			TransactionKey: h.TransactionKey, SequenceNumber: h.SequenceNumber, CommitTimestamp: h.CommitTimestamp.UnixMilli(),
			CommitNumber: h.CommitNumber, CommitUser: h.CommitUser,
			NulledFields: nonNil(h.NulledFields), DiffFields: nonNil(h.DiffFields), ChangedFields: nonNil(h.ChangedFields),
		}
	}
	return line
}

func nonNil(s []string) []string {
	if s == nil {
		return []string{}
	}
	return s
}
