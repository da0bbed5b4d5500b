package salesforce

import "github.com/sfcdc/sfcdc/redact"

// Secret holds a credential (client secret, refresh or access token): it
// is redact.Secret, so every way of printing, logging or encoding it shows
// [REDACTED], and Reveal is the one way to the value, used where it goes on
// the wire.
type Secret = redact.Secret
