"""Desk: tickets, helpdesk importers, send adapters, the audit store and metrics for team leads."""
