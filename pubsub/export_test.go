package pubsub

import eventbusv1 "github.com/sfcdc/sfcdc/proto/eventbus/v1"

// RawAPI lets this package's external tests call what the client does not
// offer (Publish, to forge events); production code has no way to reach the
// generated client.
func RawAPI(c *Client) eventbusv1.PubSubClient { return c.api }
