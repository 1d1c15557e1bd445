"""CRM connectors (Bitrix24, amoCRM): webhook subscriptions whose deliveries call a remote CRM."""
