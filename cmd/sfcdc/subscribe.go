package main

import (
	"errors"
	"fmt"
	"log/slog"

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
			cfg := engine.PubSubConfig(conn)
			cfg.Logger = redact.TextLogger(cmd.ErrOrStderr(), slog.LevelWarn)
			client, err := pubsub.NewClient(cfg, engine.Credentials(conn, slog.Default()))
			if err != nil {
				return err
			}
			defer client.Close()
			sub := client.Subscribe(cmd.Context(), topic, start)
			if err := pubsub.WriteEvents(cmd.OutOrStdout(), cmd.ErrOrStderr(), sub, limit); err != nil {
				return err
			}
			return cmd.Context().Err()
		},
	}
	cmd.Flags().StringVar(&topic, "topic", "", "topic to subscribe to, e.g. /data/CaseChangeEvent")
	cmd.Flags().StringVar(&from, "from", "latest", "start: latest, earliest, or a replay ID in hex (delivery starts after it)")
	cmd.Flags().IntVar(&limit, "limit", 0, "exit after this many events (0: run until interrupted)")
	cmd.Flags().StringVar(&configPath, "config", "", "configuration file (YAML)")
	return cmd
}

func parseStart(from string) (pubsub.Start, error) {
	start, err := pubsub.ParseStart(from)
	if err != nil {
		return start, usageError{fmt.Errorf("--from %s: want latest, earliest or a replay ID in hex (as printed in replay_id)", quote.Value(from))}
	}
	return start, nil
}
