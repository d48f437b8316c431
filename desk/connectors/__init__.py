"""Helpdesk connectors: pull new and updated tickets incrementally, and post sent replies back."""
