// Package health judges a topic from its figures: whether it is ready,
// whether its status is stale, how old its replay position is against
// Salesforce's 72 h retention, and what an operator should be told.
//
// Its guarantee: Judge is the one place these rules live. `sfcdc status`
// (reading the stored status documents) and the monitor's /readyz and
// sfcdc_topic_ready (reading the live snapshot) call it with the same
// figures.Topic and get the same verdict for the same figures; it is a
// pure function of the figures, the time and the Policy, so every rule is
// table-tested at its boundaries.
//
// It imports only figures: the monitor can use it without importing the
// store or the pipeline.
package health
