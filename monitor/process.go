package monitor

// Process is the figures of the whole process at the moment of a scrape.
// A topic's figures are figures.Topic, read as the pipeline produced them.
type Process struct {
	// RESTCalls counts the Salesforce REST calls sent (each counts against
	// the org's daily allocation); TokenRequests the OAuth token requests.
	RESTCalls, TokenRequests int64
	// APIRequestsUsed and APIRequestsMax are the org's daily API usage as
	// the last Sforce-Limit-Info header reported it; APIUsageKnown is false
	// until a response carried one, and the API metrics are absent then.
	APIRequestsUsed, APIRequestsMax int64
	APIUsageKnown                   bool
}
